package experiments

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/nistgmm/nistgmm/federated/adversary"
	"github.com/nistgmm/nistgmm/federated/server"
)

// miniSim is a grid small enough for a test: d = 3, K = 3, two cells.
func miniSim() SimConfig {
	return SimConfig{Dim: 3, K: 3, Ms: []int{6}, Ns: []int{300, 600}, MaxOmegas: []float64{0.1}, Alphas: []float64{0.2, 0.4},
		Failures: SimFailures(), TestN: 500, Seed: 5, PenaltyScale: 1, Aggregation: DefaultAggregation()}
}

func simCSV(t *testing.T, c SimConfig, reps []SimRep) (string, string) {
	t.Helper()
	var sum, per bytes.Buffer
	if err := WriteSimSummaryCSV(&sum, SummarizeSimulation(c, reps)); err != nil {
		t.Fatal(err)
	}
	if err := WriteSimRepsCSV(&per, reps); err != nil {
		t.Fatal(err)
	}
	return sum.String(), per.String()
}

func TestSimulateResumesToTheSameCSV(t *testing.T) {
	setup := SimSetup{Config: miniSim(), Reps: 2}
	full, err := Simulate(context.Background(), setup, t.TempDir(), Options{Parallel: 2})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	first, err := Simulate(ctx, setup, dir, Options{Parallel: 1, Done: func(int) { cancel() }})
	if err == nil || len(first) != 1 {
		t.Fatalf("interrupted run: %d repetitions, err %v; want 1 and the cancellation", len(first), err)
	}
	resumed, err := Simulate(context.Background(), setup, dir, Options{Parallel: 1})
	if err != nil {
		t.Fatal(err)
	}
	a1, a2 := simCSV(t, setup.Config, full)
	b1, b2 := simCSV(t, setup.Config, resumed)
	if a1 != b1 || a2 != b2 {
		t.Fatalf("resumed run differs from the uninterrupted one:\n%s\n---\n%s", a1, b1)
	}
	if got := strings.SplitN(a1, "\n", 2)[0]; got != strings.Join(SimSummaryColumns(), ",") {
		t.Errorf("summary header %q", got)
	}
	// 2 cells x 3 failures x 2 alphas x 6 methods.
	if lines := strings.Count(a1, "\n") - 1; lines != 2*3*2*6 {
		t.Errorf("%d summary rows, want 72", lines)
	}
	other := setup
	other.Config.Seed++
	if _, err := Simulate(context.Background(), other, dir, Options{}); err == nil {
		t.Error("a different experiment resumed from the folder")
	}
}

func TestSimRepetitionIsDeterministicWhateverTheWorkers(t *testing.T) {
	c := miniSim()
	c.Ns = []int{300}
	c.Workers = 1
	a, err := RunSimRepetition(context.Background(), c, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.Workers = 4
	b, err := RunSimRepetition(context.Background(), c, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	a.FitSeconds, a.AggregationSeconds, b.FitSeconds, b.AggregationSeconds = 0, 0, 0, 0
	if !reflect.DeepEqual(a, b) {
		t.Fatal("the same repetition differs with 1 and 4 workers")
	}
	// Sanity of the scores: the Oracle is close to the truth, and the
	// mean failure ruins GMR.
	for _, r := range a.Results {
		for _, m := range r.Methods {
			if m.Method == server.Oracle && m.ARI < 0.5 {
				t.Errorf("%s alpha %v: Oracle ARI %v", r.Failure, r.Alpha, m.ARI)
			}
			if m.Method == server.GMR && r.Failure == adversary.MeanFailure && m.W1 < 1 {
				t.Errorf("alpha %v: GMR under mean failure at W1 %v, want far from the truth", r.Alpha, m.W1)
			}
		}
	}
}

func TestSimConfigValidate(t *testing.T) {
	for _, fig := range Figures() {
		c, err := NewSimConfig(fig)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Validate(); err != nil {
			t.Errorf("figure %d: %v", fig, err)
		}
	}
	if _, err := NewSimConfig(6); err == nil {
		t.Error("figure 6 accepted")
	}
	bad := []func(*SimConfig){
		func(c *SimConfig) { c.Ms = []int{2} },
		func(c *SimConfig) { c.NTotal = 1000 },
		func(c *SimConfig) { c.Alphas = []float64{0.5} },
		func(c *SimConfig) { c.Failures = []adversary.Failure{adversary.Letters} },
		func(c *SimConfig) { c.MaxOmegas = []float64{1.2} },
		func(c *SimConfig) { c.Ns = []int{4} },
	}
	for i, f := range bad {
		c := miniSim()
		f(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("bad config %d accepted", i)
		}
	}
}

func TestSimulationShardsMergeToTheUnshardedRun(t *testing.T) {
	c := miniSim()
	c.Ns = []int{300}
	setup := SimSetup{Config: c, Reps: 3}
	full, err := Simulate(context.Background(), setup, t.TempDir(), Options{Parallel: 2})
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for i := 0; i < 2; i++ {
		dir := t.TempDir()
		if _, err := Simulate(context.Background(), setup, dir, Options{Shard: Shard{Index: i, Count: 2}}); err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, dir)
	}
	if _, _, err := MergeSimulation(dirs[:1]); err == nil {
		t.Error("merging one shard of two did not report the missing repetitions")
	}
	merged, got, err := MergeSimulation(dirs)
	if err != nil {
		t.Fatal(err)
	}
	if !simStore.same(merged, setup) {
		t.Error("merged setup differs")
	}
	a1, a2 := simCSV(t, c, full)
	b1, b2 := simCSV(t, c, got)
	if a1 != b1 || a2 != b2 {
		t.Fatal("merged shards differ from the unsharded run")
	}
	if !IsSimulation(dirs[0]) {
		t.Error("a simulation folder is not recognized as one")
	}
}
