package table2

import (
	"context"
	"errors"
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
		if _, ok := done[rep]; ok {
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

// Finished counts the repetitions already in dir (for progress bars).
func Finished(dir string, setup Setup) int {
	done, err := loadCheckpoint(dir, setup)
	if err != nil {
		return 0
	}
	n := 0
	for rep := range done {
		if rep < setup.Reps {
			n++
		}
	}
	return n
}
