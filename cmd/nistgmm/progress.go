package main

import (
	"os"
	"sync"

	"github.com/schollz/progressbar/v3"
)

// newBar returns a progress bar on stderr with an ETA, and a thread-safe
// function that advances it.
func newBar(total int, what string) (*progressbar.ProgressBar, func(int)) {
	bar := progressbar.NewOptions(total,
		progressbar.OptionSetWriter(os.Stderr),
		progressbar.OptionSetDescription(what),
		progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionShowElapsedTimeOnFinish(),
		progressbar.OptionThrottle(200_000_000),
		progressbar.OptionClearOnFinish(),
	)
	var mu sync.Mutex
	return bar, func(n int) {
		mu.Lock()
		bar.Add(n)
		mu.Unlock()
	}
}
