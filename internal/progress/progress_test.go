package progress

import (
	"strings"
	"testing"
	"time"

	"github.com/nistgmm/nistgmm/experiments"
)

// A Table 2 run does its cheap local fits first and its ten times dearer
// letters fits after them: an estimate from the count of steps says
// "about 4 s left" when 35 s are. Two repetitions run in lockstep here, on
// a clock the test moves, with the costs of docs/speed.md; at every step
// the estimate must be within a factor of the truth.
func TestTimeLeftWeighsStepsByTheirCost(t *testing.T) {
	c := experiments.NewTable2Config()
	c.Failure = "letters"
	kinds := experiments.Table2Work(c)
	seconds := map[string]float64{experiments.WorkLocalFit: 0.16, experiments.WorkByzantineFit: 1.5, experiments.WorkRound: 1.1}
	var schedule []experiments.Work // one repetition's units, in order
	for _, k := range kinds {
		for i := 0; i < k.PerRep; i++ {
			schedule = append(schedule, experiments.Work{Kind: k.Kind, Seconds: seconds[k.Kind]})
		}
	}
	const reps = 2
	var end float64
	for _, u := range schedule {
		end += u.Seconds
	}
	clock := time.Unix(0, 0)
	p, add := NewWork("2 repetitions", reps, kindsOf(kinds), false)
	p.bar, p.w, p.start = nil, nil, clock
	p.now = func() time.Time { return clock }
	var now float64
	for i, u := range schedule {
		now += u.Seconds
		clock = time.Unix(0, 0).Add(time.Duration(now * float64(time.Second)))
		for r := 0; r < reps; r++ {
			add(u.Kind, u.Seconds)
		}
		if i == len(schedule)-1 {
			break
		}
		got, ok := timeLeft(p.work, clock.Sub(time.Unix(0, 0)))
		truth := end - now
		if !ok || got.Seconds() < 0.75*truth || got.Seconds() > 1.5*truth+2 {
			t.Fatalf("after %d of %d steps (%s, %.1f s in): estimated %v left, truly %.1f s", reps*(i+1), reps*len(schedule), u.Kind, now, got, truth)
		}
	}
}

// Nothing is estimated before any work is done, and units of equal cost
// are estimated from their count.
func TestTimeLeftOfEqualSteps(t *testing.T) {
	work := []workTally{{kind: "image", total: 10, cost: 1}}
	if _, ok := timeLeft(work, time.Second); ok {
		t.Error("an estimate before any work")
	}
	work[0].done = 4
	if got, ok := timeLeft(work, 8*time.Second); !ok || got != 12*time.Second {
		t.Errorf("4 of 10 in 8 s: %v left", got)
	}
}

// The plain line says what it counts.
func TestProgressLineSaysWhatItCounts(t *testing.T) {
	c := experiments.NewTable2Config()
	c.Failure = "letters"
	var buf strings.Builder
	p, add := NewWork("2 repetitions", 2, kindsOf(experiments.Table2Work(c)), false)
	p.bar, p.w, p.every = nil, &buf, 0
	add(experiments.WorkLocalFit, 0.1)
	want := "2 repetitions: 1 of 150 steps (local fits, Byzantine fits, aggregation rounds) done (1%)"
	if !strings.HasPrefix(buf.String(), want) {
		t.Errorf("progress line %q, want it to start %q", buf.String(), want)
	}
}

// In a log (stderr not a terminal) progress is plain lines, no carriage
// returns; a quiet report shows nothing.
func TestProgressInALogIsPlainLines(t *testing.T) {
	var buf strings.Builder
	p, add := NewBar(10, "work", false)
	if p.bar != nil {
		t.Skip("stderr is a terminal here")
	}
	p.w, p.every = &buf, 0
	for i := 0; i < 10; i++ {
		add(1)
	}
	p.Finish()
	if strings.Contains(buf.String(), "\r") || !strings.Contains(buf.String(), "work: 10 of 10 done (100%)") {
		t.Errorf("progress in a log:\n%q", buf.String())
	}
	if q, _ := NewBar(10, "work", true); q.w != nil || q.bar != nil {
		t.Error("a quiet report still reports progress")
	}
	if q, _ := NewWork("work", 1, []Kind{{Name: "unit", PerRep: 1, Cost: 1}}, true); q.w != nil || q.bar != nil {
		t.Error("a quiet work report still reports progress")
	}
}

// kindsOf are an experiment's kinds of work as a report counts them (the
// command converts them the same way).
func kindsOf(kinds []experiments.WorkKind) []Kind {
	out := make([]Kind, len(kinds))
	for i, k := range kinds {
		out[i] = Kind{Name: k.Kind, PerRep: k.PerRep, Cost: k.Cost}
	}
	return out
}
