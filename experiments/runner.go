package experiments

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Options tunes a run of repetitions, for every kind of experiment.
type Options struct {
	// Parallel is the number of repetitions run at once (each on one
	// goroutine); 0 means 1.
	Parallel int
	// Step is called after each unit of work (a local fit, an aggregation
	// round) with its kind and duration; Table2Work and SimWork list the
	// units of a repetition for progress reports.
	Step func(Work)
	// Done, if not nil, is called with the index of each repetition once
	// it is checkpointed.
	Done func(rep int)
	// Shard, when Count > 1, restricts the run to its share of the
	// repetitions (see Shard).
	Shard Shard
}

// The kinds of work a repetition reports.
const (
	WorkLocalFit     = "local fit"
	WorkByzantineFit = "Byzantine fit"
	WorkRound        = "aggregation round"
)

// Work is one unit of work a repetition reports as it finishes: its kind
// and the seconds it took on its goroutine. Units of one kind cost about
// the same; units of different kinds do not (a letters fit costs ten local
// fits), so a progress report that counts units alone is optimistic while
// the cheap ones come first.
type Work struct {
	Kind    string
	Seconds float64
}

// WorkKind is one kind of work in a repetition: how many units a
// repetition does, and a guess of each unit's cost relative to the other
// kinds (observations fitted, for a fit), for a progress report to use
// until it has measured a unit of the kind.
type WorkKind struct {
	Kind   string
	PerRep int
	Cost   float64
}

// roundCostInFits is the guessed cost of an aggregation round in local
// fits: about 7 for Table 2 as measured in docs/speed.md (1.1 s per alpha
// against 0.16 s per local fit). It is only a start: the first round
// measured replaces it.
const roundCostInFits = 7

// timed calls step with a unit of kind that started at start.
func timed(step func(Work), kind string, start time.Time) {
	step(Work{Kind: kind, Seconds: time.Since(start).Seconds()})
}

// Shard is one of Count disjoint shares of an experiment's repetitions:
// repetition r belongs to shard r mod Count. Each shard runs in its own
// folder, on any machine, and the shards are merged back together. Since
// every repetition draws from its own random streams, the merged
// repetitions are exactly those of an unsharded run.
type Shard struct {
	Index, Count int
}

// ParseShard reads "i/n" with 0 <= i < n.
func ParseShard(s string) (Shard, error) {
	var sh Shard
	if _, err := fmt.Sscanf(s, "%d/%d", &sh.Index, &sh.Count); err != nil || sh.Count < 1 || sh.Index < 0 || sh.Index >= sh.Count {
		return Shard{}, fmt.Errorf("shard %q: want i/n with 0 <= i < n", s)
	}
	return sh, nil
}

// owns reports whether repetition rep belongs to the shard.
func (s Shard) owns(rep int) bool { return s.Count <= 1 || rep%s.Count == s.Index }

// Reps counts the shard's repetitions among 0..reps-1.
func (s Shard) Reps(reps int) int {
	n := 0
	for r := 0; r < reps; r++ {
		if s.owns(r) {
			n++
		}
	}
	return n
}

// run executes the repetitions 0..reps-1 of the shard that dir does not
// hold yet with work, checkpointing each as it finishes, and returns all of the shard's repetitions in order.
// Cancelling ctx stops it after the repetitions in flight; what finished
// is kept and a later run resumes after it.
func run[S any, R Repetition](ctx context.Context, st store[S, R], dir string, setup S, opt Options,
	work func(ctx context.Context, rep int) (R, error)) ([]R, error) {
	finished, err := st.load(dir, setup)
	if err != nil {
		return nil, err
	}
	cp, err := st.open(dir, setup)
	if err != nil {
		return nil, err
	}
	defer cp.Close()
	par := max(opt.Parallel, 1)
	jobs := make(chan int)
	var mu sync.Mutex
	var wg sync.WaitGroup
	var errs []error
	for w := 0; w < par; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for rep := range jobs {
				res, err := work(ctx, rep)
				mu.Lock()
				if err == nil {
					err = cp.add(res)
				}
				if err != nil {
					if !errors.Is(err, context.Canceled) {
						errs = append(errs, fmt.Errorf("repetition %d: %w", rep, err))
					}
				} else {
					finished[rep] = res
					if opt.Done != nil {
						opt.Done(rep)
					}
				}
				mu.Unlock()
			}
		}()
	}
	for rep := 0; rep < st.reps(setup); rep++ {
		if _, ok := finished[rep]; ok || !opt.Shard.owns(rep) {
			continue
		}
		if ctx.Err() != nil {
			break
		}
		select {
		case jobs <- rep:
		case <-ctx.Done():
		}
	}
	close(jobs)
	wg.Wait()
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	out := make(map[int]R, len(finished))
	for rep, r := range finished {
		if rep < st.reps(setup) && opt.Shard.owns(rep) {
			out[rep] = r
		}
	}
	return sorted(out), ctx.Err()
}
