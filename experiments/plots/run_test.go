package plots

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/nistgmm/nistgmm/experiments"
	"github.com/nistgmm/nistgmm/federated/adversary"
	"github.com/nistgmm/nistgmm/federated/divergence"
)

// syntheticData stands in for CNN features: three well-separated "digit"
// classes and a shifted "letter" population, in d = 4 (the data of the
// experiments package's Table 2 tests).
func syntheticData() *experiments.Data {
	rng := rand.New(rand.NewPCG(1, 2))
	centres := [][]float64{{0, 0, 0, 0}, {6, 0, 0, 0}, {0, 6, 0, 0}}
	draw := func(n int, shift float64) (*mat.Dense, []int) {
		X := mat.NewDense(n, 4, nil)
		y := make([]int, n)
		for i := 0; i < n; i++ {
			c := i % 3
			y[i] = c
			for j := 0; j < 4; j++ {
				X.Set(i, j, centres[c][j]+shift+rng.NormFloat64()*(1+0.2*float64(j)))
			}
		}
		return X, y
	}
	d := &experiments.Data{}
	d.Train, d.TrainLabels = draw(1500, 0)
	d.Test, d.TestLabels = draw(600, 0)
	d.Letters, _ = draw(1000, 15)
	return d
}

// miniSetup is a Table 2 run small enough for a test: six machines, three
// failure rates, two repetitions.
func miniSetup() experiments.Table2Setup {
	c := experiments.Table2Config{Machines: 6, NTotal: 1200, K: 3, Aggregation: experiments.Aggregation{Distance: divergence.KL},
		Failure: adversary.Letters, LettersN: 200, Alphas: []float64{0, 0.2, 0.4}, Seed: 7, Restarts: 2}
	return experiments.Table2Setup{Config: c, Reps: 2, Features: "synthetic"}
}

// miniSim is a simulation grid small enough for a test: d = 3, K = 3, two
// cells.
func miniSim() experiments.SimConfig {
	return experiments.SimConfig{Dim: 3, K: 3, Ms: []int{6}, Ns: []int{300, 600}, MaxOmegas: []float64{0.1},
		Alphas: []float64{0.2, 0.4}, Failures: experiments.SimFailures(), TestN: 500, Seed: 5, PenaltyScale: 1,
		Aggregation: experiments.DefaultAggregation()}
}

// A Table 2 run's repetitions are drawn as a PNG.
func TestPlotTable2OfARun(t *testing.T) {
	full, err := experiments.Reproduce(context.Background(), syntheticData(), miniSetup(), t.TempDir(),
		experiments.Options{Parallel: 2})
	if err != nil {
		t.Fatal(err)
	}
	png := filepath.Join(t.TempDir(), "box.png")
	if err := PlotTable2(png, full, "mini"); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(png); err != nil || st.Size() < 1000 {
		t.Fatalf("plot: %v", err)
	}
}

// A simulation run's repetitions are drawn, whole and zoomed, for either
// metric.
func TestPlotSimulationOfARun(t *testing.T) {
	setup := experiments.SimSetup{Config: miniSim(), Reps: 2}
	full, err := experiments.Simulate(context.Background(), setup, t.TempDir(), experiments.Options{Parallel: 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []SimMetric{MetricW1, MetricARI} {
		path := filepath.Join(t.TempDir(), string(m)+".png")
		if err := PlotSimulation(path, setup.Config, full, m, "test"); err != nil {
			t.Fatal(err)
		}
		if st, err := os.Stat(path); err != nil || st.Size() < 1000 {
			t.Errorf("plot %s: %v", m, err)
		}
		zoom := filepath.Join(t.TempDir(), string(m)+"-zoom.png")
		if err := PlotSimulationZoom(zoom, setup.Config, full, m, "test"); err != nil {
			t.Fatal(err)
		}
		if st, err := os.Stat(zoom); err != nil || st.Size() < 1000 {
			t.Errorf("zoomed plot %s: %v", m, err)
		}
	}
}
