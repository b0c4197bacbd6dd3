package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"

	"github.com/nistgmm/nistgmm/experiments"
	"github.com/nistgmm/nistgmm/experiments/plots"
	"github.com/nistgmm/nistgmm/federated/adversary"
	"github.com/nistgmm/nistgmm/federated/estimates"
	"github.com/nistgmm/nistgmm/internal/atomicfile"
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
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(25) // as aggregate does: see there
	}
	if *reps < 1 {
		return fmt.Errorf("--reps %d: want at least 1", *reps)
	}
	bar, add := newBar(len(counts)**reps, "rounds")
	var save func(int, []estimates.Estimate, []int) error
	if *write {
		save = func(m int, ests []estimates.Estimate, byz []int) error {
			return writeScaleEstimates(*out, m, ests, byz)
		}
	}
	rows, err := experiments.RunScale(ctx, c, func() { add(1) }, save)
	bar.Finish()
	if err != nil {
		return err
	}
	title := fmt.Sprintf("ARED against m (K = %d, d = %d, n = %d, alpha = %.2f)", c.K, c.Dim, c.N, c.Alpha)
	experiments.WriteScaleMarkdown(os.Stdout, c, rows, "")
	return writeOutputs(*out, commandLine(), []output{
		{name: "scale.csv", text: func(w io.Writer) error { return experiments.WriteScaleCSV(w, rows) }},
		{name: "scale.md", text: func(w io.Writer) error { return experiments.WriteScaleMarkdown(w, c, rows, commandLine()) }},
		{name: "scale.png", image: func(path string) error { return plots.PlotScale(path, rows, title) }},
	})
}

// writeScaleEstimates writes one m's estimates and the ids of its
// Byzantine machines (one per line) in dir.
func writeScaleEstimates(dir string, m int, ests []estimates.Estimate, byz []int) error {
	name := filepath.Join(dir, fmt.Sprintf("estimates-m%d.json", m))
	if err := atomicfile.WriteFile(name, func(w io.Writer) error {
		bw := bufio.NewWriterSize(w, 1<<20)
		if err := estimates.EncodeEstimates(bw, ests); err != nil {
			return err
		}
		return bw.Flush()
	}); err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(dir, fmt.Sprintf("byzantine-m%d.txt", m)), func(w io.Writer) error {
		for _, b := range byz {
			if _, err := fmt.Fprintln(w, ests[b].ID); err != nil {
				return err
			}
		}
		return nil
	})
}
