package table2

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/nistgmm/nistgmm/eval"
)

// Options tunes a reproduction.
type Options struct {
	// Parallel is the number of repetitions run at once (each fits its
	// machines on one goroutine); 0 means 1.
	Parallel int
	// Step is called after each unit of work (a local fit or an alpha).
	Step func()
	// Done is called after a repetition is checkpointed.
	Done func(rep eval.RepResult)
	// Shard, when Count > 1, restricts the run to its share of the
	// repetitions (see Shard).
	Shard Shard
}

// Shard is one of Count disjoint shares of an experiment's repetitions:
// repetition r belongs to shard r mod Count. Each shard runs in its own
// folder, on any machine; Merge puts them back together. Since every
// repetition draws from its own random streams, the merged repetitions are
// exactly those of an unsharded run.
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

// StepsPerRep is the number of Step calls one repetition makes.
func StepsPerRep(c eval.Config) int {
	most := 0
	for _, a := range c.Alphas {
		most = max(most, int(a*float64(c.Machines)+1e-9))
	}
	return c.Machines + most + len(c.Alphas)
}

// Reproduce runs repetitions 0..setup.Reps-1 that dir does not hold yet,
// checkpointing each, and returns all of them in order. Cancelling ctx stops
// it after the repetitions in flight; what finished is kept.
func Reproduce(ctx context.Context, d *eval.Data, setup Setup, dir string, opt Options) ([]eval.RepResult, error) {
	done, err := loadCheckpoint(dir, setup)
	if err != nil {
		return nil, err
	}
	cp, err := openCheckpoint(dir, setup)
	if err != nil {
		return nil, err
	}
	defer cp.Close()
	par := max(opt.Parallel, 1)
	cfg := setup.Config
	cfg.Workers = 1
	jobs := make(chan int)
	var mu sync.Mutex
	var wg sync.WaitGroup
	var errs []error
	for w := 0; w < par; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for rep := range jobs {
				res, err := eval.RunRepetition(ctx, d, cfg, rep, opt.Step)
				mu.Lock()
				if err == nil {
					err = cp.add(res)
				}
				if err != nil {
					if !errors.Is(err, context.Canceled) {
						errs = append(errs, err)
					}
				} else {
					done[rep] = *res
					if opt.Done != nil {
						opt.Done(*res)
					}
				}
				mu.Unlock()
			}
		}()
	}
	for rep := 0; rep < setup.Reps; rep++ {
		if _, ok := done[rep]; ok || !opt.Shard.owns(rep) {
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
	if err := ctx.Err(); err != nil {
		return sorted(done), err
	}
	return sorted(done), nil
}

// Finished counts the repetitions of the shard already in dir (for
// progress bars).
func Finished(dir string, setup Setup, shard Shard) int {
	done, err := loadCheckpoint(dir, setup)
	if err != nil {
		return 0
	}
	n := 0
	for rep := range done {
		if rep < setup.Reps && shard.owns(rep) {
			n++
		}
	}
	return n
}

// Merge reads the checkpoints of shard folders, checks that they belong to
// one experiment and together hold each of its repetitions once (a
// repetition found twice must be identical), and returns the setup and
// the repetitions in order, as an unsharded run of that setup returns them.
func Merge(dirs []string) (Setup, []eval.RepResult, error) {
	if len(dirs) == 0 {
		return Setup{}, nil, errors.New("merge: no shard folders")
	}
	var setup Setup
	all := map[int]eval.RepResult{}
	from := map[int]string{}
	for i, dir := range dirs {
		s, err := readSetup(dir)
		if err != nil {
			return Setup{}, nil, fmt.Errorf("merge: %w", err)
		}
		if i == 0 {
			setup = s
		} else if !sameExperiment(setup, s) || setup.Reps != s.Reps {
			return Setup{}, nil, fmt.Errorf("merge: %s holds a different experiment from %s (compare their %s)", dir, dirs[0], configName)
		}
		done, err := loadCheckpoint(dir, s)
		if err != nil {
			return Setup{}, nil, fmt.Errorf("merge: %w", err)
		}
		for rep, r := range done {
			if prev, ok := all[rep]; ok {
				a, _ := json.Marshal(prev)
				b, _ := json.Marshal(r)
				if !bytes.Equal(stripTiming(a), stripTiming(b)) {
					return Setup{}, nil, fmt.Errorf("merge: repetition %d differs between %s and %s", rep, from[rep], dir)
				}
				continue
			}
			all[rep], from[rep] = r, dir
		}
	}
	var missing []int
	for rep := 0; rep < setup.Reps; rep++ {
		if _, ok := all[rep]; !ok {
			missing = append(missing, rep)
		}
	}
	if len(missing) > 0 {
		return Setup{}, nil, fmt.Errorf("merge: %d of %d repetitions are missing (first: %d); run the missing shards (or resume them) first", len(missing), setup.Reps, missing[0])
	}
	for rep := range all {
		if rep >= setup.Reps {
			delete(all, rep)
		}
	}
	return setup, sorted(all), nil
}

// stripTiming removes the timing fields, which differ between machines,
// from an encoded repetition.
func stripTiming(b []byte) []byte {
	var r eval.RepResult
	if json.Unmarshal(b, &r) != nil {
		return b
	}
	r.Timing = eval.Timing{}
	for i := range r.Alphas {
		r.Alphas[i].DistanceSeconds = 0
		for j := range r.Alphas[i].Methods {
			r.Alphas[i].Methods[j].Seconds = 0
		}
	}
	out, _ := json.Marshal(r)
	return out
}
