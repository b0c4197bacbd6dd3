package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/nistgmm/nistgmm/experiments"
	"github.com/nistgmm/nistgmm/federated"
)

// cmdScale measures ARED's time, peak memory and detection against the
// number of machines, on estimates drawn from one random mixture.
func cmdScale(ctx context.Context, args []string) error {
	fs := newFlagSet("scale", "--ms 100,300,1000 [--k 5] [--d 10] [--n 1000] --out DIR")
	var sf serverFlags
	sf.register(fs)
	ms := fs.String("ms", "100,300,1000", "machine counts, comma-separated")
	k := fs.Int("k", 5, "order of the mixtures")
	d := fs.Int("d", 10, "dimension")
	n := fs.Int("n", 1000, "observations behind each estimate")
	alpha := fs.Float64("alpha", 0.2, "share of Byzantine machines, in [0, 0.5)")
	failure := fs.String("failure", string(federated.MeanFailure), "failure of the Byzantine machines: mean, cov or weight")
	seed := fs.Uint64("seed", 1, "random seed")
	out := fs.String("out", "", "folder for scale.csv, scale.md and scale.png")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := required(fs, "out"); err != nil {
		return err
	}
	counts, err := parseInts("--ms", *ms)
	if err != nil {
		return err
	}
	c := experiments.ScaleConfig{Ms: counts, K: *k, Dim: *d, N: *n, Alpha: *alpha, Failure: federated.Failure(*failure), Seed: *seed}
	if err := sf.apply(&c.Aggregation); err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return fmt.Errorf("%w (flags --ms, --k, --d, --n, --alpha, --failure)", err)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	bar, add := newBar(len(counts), "machine counts")
	rows, err := experiments.RunScale(ctx, c, func() { add(1) })
	bar.Finish()
	if err != nil {
		return err
	}
	title := fmt.Sprintf("ARED against m (K = %d, d = %d, n = %d, alpha = %.2f)", c.K, c.Dim, c.N, c.Alpha)
	experiments.WriteScaleMarkdown(os.Stdout, c, rows, "")
	return writeOutputs(*out, commandLine(), []output{
		{name: "scale.csv", text: func(w io.Writer) error { return experiments.WriteScaleCSV(w, rows) }},
		{name: "scale.md", text: func(w io.Writer) error { return experiments.WriteScaleMarkdown(w, c, rows, commandLine()) }},
		{name: "scale.png", image: func(path string) error { return experiments.PlotScale(path, rows, title) }},
	})
}
