// Package progress reports long work on stderr: a bar on a terminal, a
// plain line now and then in a log, nothing when quiet. It estimates the
// time left from the measured cost of the work done, not from the count of
// units, whose costs differ. It knows nothing of command-line flags (the
// caller says whether to be quiet) nor of the experiments (the caller
// names the kinds of work and their costs).
package progress

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// plainEvery is how often progress is reported as a plain line when
// stderr is not a terminal (a log file).
const plainEvery = 30 * time.Second

// workTally is one kind of work of a progress report: how many units
// there are, how many are done and what those took.
type workTally struct {
	kind        string
	total, done int
	cost        float64 // guessed relative cost of a unit, until one is measured
	seconds     float64 // measured on the workers' goroutines
}

// Report reports long work on stderr: a bar on a terminal, a plain line
// now and then otherwise (no carriage returns in logs), nothing when
// quiet. Both say what they count and estimate the time left from the
// cost of the work done, not from the count of units, whose costs differ.
type Report struct {
	mu    sync.Mutex
	bar   *progressbar.ProgressBar // on a terminal
	w     io.Writer                // plain lines, when not a terminal
	every time.Duration            // between plain lines
	what  string                   // what the whole is: "300 repetitions"
	units string                   // what is counted: "steps (local fits, ...)"
	work  []workTally
	start time.Time
	last  time.Time
	now   func() time.Time
}

// NewBar returns a progress report of total steps of equal cost, named
// by what, and a thread-safe function that advances it. A quiet report
// shows nothing.
func NewBar(total int, what string, quiet bool) (*Report, func(int)) {
	p := newReport(what, what, []workTally{{kind: what, total: total, cost: 1}}, quiet)
	return p, p.Add
}

// Kind is one kind of work in a repetition: how many units a repetition
// does and the guessed cost of a unit relative to the other kinds.
type Kind struct {
	Name   string
	PerRep int
	Cost   float64
}

// NewWork returns a progress report of reps repetitions, each doing the
// kinds of work listed, and the function each finished unit of work
// reports its kind and seconds to. A quiet report shows nothing.
func NewWork(what string, reps int, kinds []Kind, quiet bool) (*Report, func(kind string, seconds float64)) {
	var work []workTally
	var names []string
	total := 0
	for _, k := range kinds {
		if k.PerRep == 0 {
			continue
		}
		work = append(work, workTally{kind: k.Name, total: reps * k.PerRep, cost: k.Cost})
		names = append(names, k.Name+"s")
		total += reps * k.PerRep
	}
	p := newReport(what, "steps ("+strings.Join(names, ", ")+")", work, quiet)
	return p, p.AddWork
}

func newReport(what, units string, work []workTally, quiet bool) *Report {
	p := &Report{what: what, units: units, work: work, every: plainEvery, now: time.Now}
	p.start = p.now()
	p.last = p.start
	total := 0
	for _, t := range work {
		total += t.total
	}
	switch {
	case quiet:
	case term.IsTerminal(int(os.Stderr.Fd())):
		p.bar = progressbar.NewOptions(total,
			progressbar.OptionSetWriter(os.Stderr),
			progressbar.OptionSetDescription(what),
			progressbar.OptionShowCount(),
			progressbar.OptionShowElapsedTimeOnFinish(),
			progressbar.OptionThrottle(200_000_000),
			progressbar.OptionClearOnFinish(),
		)
	default:
		p.w = os.Stderr
	}
	return p
}

// Add advances the report by n steps of its first kind of work.
func (p *Report) Add(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.work[0].done += n
	p.advanced(n)
}

// AddWork counts one finished unit of work of the kind named, which took
// seconds on its worker's goroutine.
func (p *Report) AddWork(kind string, seconds float64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := range p.work {
		if p.work[i].kind == kind {
			p.work[i].done++
			p.work[i].seconds += seconds
		}
	}
	p.advanced(1)
}

// advanced updates the display after n more steps; p.mu is held.
func (p *Report) advanced(n int) {
	switch {
	case p.bar != nil:
		left := "time left: estimating"
		if d, ok := timeLeft(p.work, p.now().Sub(p.start)); ok {
			left = "about " + d.Round(time.Second).String() + " left"
		}
		p.bar.Describe(fmt.Sprintf("%s, %s; counting %s", p.what, left, p.units))
		p.bar.Add(n)
	case p.w != nil && p.now().Sub(p.last) >= p.every:
		p.last = p.now()
		p.line()
	}
}

func (p *Report) line() {
	elapsed := p.now().Sub(p.start)
	done, total := 0, 0
	for _, t := range p.work {
		done, total = done+t.done, total+t.total
	}
	left := ""
	if done < total {
		left = ", time left: estimating"
		if d, ok := timeLeft(p.work, elapsed); ok {
			left = fmt.Sprintf(", about %s left", d.Round(time.Second))
		}
	}
	counted := ""
	if p.units != p.what {
		counted = " " + p.units
	}
	fmt.Fprintf(p.w, "%s: %d of %d%s done (%.0f%%), %s elapsed%s\n", p.what, done, total, counted,
		100*float64(done)/float64(max(total, 1)), elapsed.Round(time.Second), left)
}

// timeLeft estimates the wall time the remaining work will take: the work
// left, each unit costed at the mean measured for its kind, over the rate
// at which work has been done so far (the measured seconds per second of
// wall time, which counts the workers running at once). A kind not yet
// measured is costed by its guessed cost at the seconds per unit of guessed
// cost of the kinds measured. Without measured seconds (units of equal
// cost counted by Add) the guessed costs weigh the units. Nothing is
// estimated before any work is done.
func timeLeft(work []workTally, elapsed time.Duration) (time.Duration, bool) {
	var measured, measuredCost, doneCost, leftCost float64
	for _, t := range work {
		measured += t.seconds
		measuredCost += float64(t.done) * t.cost
		doneCost += float64(t.done) * t.cost
		leftCost += float64(t.total-t.done) * t.cost
	}
	if elapsed <= 0 || doneCost == 0 {
		return 0, false
	}
	if measured == 0 {
		return time.Duration(float64(elapsed) * leftCost / doneCost), true
	}
	perCost := measured / measuredCost // seconds per unit of guessed cost
	var left float64                   // seconds of work, on the workers' goroutines
	for _, t := range work {
		unit := t.cost * perCost
		if t.done > 0 {
			unit = t.seconds / float64(t.done)
		}
		left += float64(t.total-t.done) * unit
	}
	rate := measured / elapsed.Seconds()
	return time.Duration(left / rate * float64(time.Second)), true
}

// Clear removes the bar from the terminal before a message is printed.
func (p *Report) Clear() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		p.bar.Clear()
	}
}

// Finish ends the report.
func (p *Report) Finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		p.bar.Finish()
		return
	}
	if p.w != nil && p.now().Sub(p.start) >= p.every {
		p.line()
	}
}
