package main

import (
	"context"
	"fmt"
	"os"

	"github.com/nistgmm/nistgmm/experiments"
	"github.com/nistgmm/nistgmm/experiments/report"
	"github.com/nistgmm/nistgmm/federated/adversary"
	"github.com/nistgmm/nistgmm/federated/estimates"
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
	omega := fs.Float64("max-omega", 0.3, "largest pairwise overlap of the true mixture, in (0, 1) (high dimensions reach only small ones)")
	alpha := fs.Float64("alpha", 0.2, "share of Byzantine machines, in [0, 0.5)")
	failure := fs.String("failure", string(adversary.MeanFailure), "failure of the Byzantine machines: mean, cov or weight")
	seed := fs.Uint64("seed", 1, "random seed")
	byzN := fs.Int("byzantine-n", 0, "sample size every Byzantine machine reports (for example 1000000000000000, the n-inflation attack; 0: the honest n)")
	reps := fs.Int("reps", 1, "rounds drawn per machine count (the table gives medians)")
	compare := fs.Bool("compare-exact", false, "also aggregate every round with the exact centre search (--centre exact), for the time and W1 ratio")
	out := fs.String("out", "", "folder for scale.csv, scale.md and scale.png")
	write := fs.Bool("write-estimates", false, "also write each m's estimates (estimates-m<M>.json) and Byzantine ids (byzantine-m<M>.txt) in --out, for 'nistgmm aggregate'")
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
	c := experiments.ScaleConfig{Ms: counts, K: *k, Dim: *d, N: *n, MaxOmega: *omega, Alpha: *alpha, Failure: adversary.Failure(*failure), Seed: *seed,
		Reps: *reps, CompareExact: *compare, ByzantineN: *byzN}
	if err := sf.apply(&c.Aggregation); err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return fmt.Errorf("%w (flags --ms, --k, --d, --n, --max-omega, --alpha, --failure, --reps)", err)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	collectOften()
	if *reps < 1 {
		return fmt.Errorf("--reps %d: want at least 1", *reps)
	}
	bar, add := newBar(len(counts)**reps, "rounds")
	var save func(int, []estimates.Estimate, []int) error
	if *write {
		save = func(m int, ests []estimates.Estimate, byz []int) error {
			return report.WriteScaleEstimates(*out, m, ests, byz)
		}
	}
	rows, err := experiments.RunScale(ctx, c, func() { add(1) }, save)
	bar.Finish()
	if err != nil {
		return err
	}
	return report.WriteScale(*out, c, rows, commandLine(), os.Stdout, os.Stderr)
}
