package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// quietProgress silences progress reports; parseFlags sets it from the
// --quiet flag every command has. It is the command's only setting that
// is not passed down explicitly: every long step reports progress.
var quietProgress bool

// plainEvery is how often progress is reported as a plain line when
// stderr is not a terminal (a log file).
const plainEvery = 30 * time.Second

// progress reports long work on stderr: a bar with an ETA on a terminal, a
// plain line now and then otherwise (no carriage returns in logs), nothing
// with --quiet.
type progress struct {
	mu    sync.Mutex
	bar   *progressbar.ProgressBar // on a terminal
	w     io.Writer                // plain lines, when not a terminal
	every time.Duration            // between plain lines
	what  string
	total int
	done  int
	start time.Time
	last  time.Time
}

// newBar returns a progress report of total steps and a thread-safe
// function that advances it.
func newBar(total int, what string) (*progress, func(int)) {
	p := &progress{what: what, total: total, start: time.Now(), every: plainEvery}
	p.last = p.start
	switch {
	case quietProgress:
	case term.IsTerminal(int(os.Stderr.Fd())):
		p.bar = progressbar.NewOptions(total,
			progressbar.OptionSetWriter(os.Stderr),
			progressbar.OptionSetDescription(what),
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionShowElapsedTimeOnFinish(),
			progressbar.OptionThrottle(200_000_000),
			progressbar.OptionClearOnFinish(),
		)
	default:
		p.w = os.Stderr
	}
	return p, p.Add
}

// Add advances the report by n steps.
func (p *progress) Add(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done += n
	switch {
	case p.bar != nil:
		p.bar.Add(n)
	case p.w != nil && time.Since(p.last) >= p.every:
		p.last = time.Now()
		p.line()
	}
}

func (p *progress) line() {
	elapsed := time.Since(p.start).Round(time.Second)
	left := ""
	if p.done > 0 && p.done < p.total {
		left = fmt.Sprintf(", about %s left", (time.Duration(float64(elapsed) * float64(p.total-p.done) / float64(p.done))).Round(time.Second))
	}
	fmt.Fprintf(p.w, "%s: %d of %d (%.0f%%), %s elapsed%s\n", p.what, p.done, p.total, 100*float64(p.done)/float64(max(p.total, 1)), elapsed, left)
}

// Clear removes the bar from the terminal before a message is printed.
func (p *progress) Clear() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		p.bar.Clear()
	}
}

// Finish ends the report.
func (p *progress) Finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		p.bar.Finish()
		return
	}
	if p.w != nil && time.Since(p.start) >= p.every {
		p.line()
	}
}
