// Package parallel runs independent, indexed jobs on a bounded number of
// goroutines. Each job writes only its own slot of the caller's results, so
// the outcome does not depend on the number of workers.
package parallel

import (
	"context"
	"errors"
	"runtime"
	"sync"
)

// For runs f(i) for every i < n on up to workers goroutines (0 means
// GOMAXPROCS) and returns the errors joined. Once ctx is done, the
// remaining jobs are not started and report ctx's error.
func For(ctx context.Context, n, workers int, f func(i int) error) error {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	jobs := make(chan int)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				if err := ctx.Err(); err != nil {
					errs[i] = err
					continue
				}
				errs[i] = f(i)
			}
		}()
	}
	for i := 0; i < n; i++ {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return errors.Join(errs...)
}
