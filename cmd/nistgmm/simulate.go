package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/nistgmm/nistgmm/experiments"
	"github.com/nistgmm/nistgmm/experiments/report"
	"github.com/nistgmm/nistgmm/federated/adversary"
)

func cmdSimulate(ctx context.Context, args []string) error {
	if len(args) > 0 && args[0] == "mixture" {
		return cmdSimulateMixture(ctx, args[1:])
	}
	fs := newFlagSet("simulate", "--figure 2|3|4|5 [--reps 300] [--seed 1] [--parallel P] [--out DIR] [flags]\n"+
		"       nistgmm simulate mixture --k 5 --d 10 --max-omega 0.3 [--seed S] --out truth.json")
	fig := fs.Int("figure", 0, "the paper's figure whose grid to run: 2 (n and alpha vary), 3 (m varies, n = 5,000), "+
		"4 (m varies, N = 500,000) or 5 (MaxOmega varies); the ARI versions are Figures 7-10. The axis flags below override its grid")
	reps := fs.Int("reps", 300, "repetitions (at least 1)")
	seed := fs.Uint64("seed", 1, "random seed: the same seed gives the same numbers")
	parallel := fs.Int("parallel", runtime.GOMAXPROCS(0), "repetitions run at once")
	out := fs.String("out", "", "output folder, which also holds the checkpoint to resume from (default: runs/sim-fig<F>-<hash of the grid>)")
	title := fs.String("title", "", "title of summary.md and the plots")
	shardFlag := fs.String("shard", "", "run only shard i of n (i/n): the repetitions r with r mod n = i; combine with 'nistgmm merge'")
	ms := fs.String("ms", "", "numbers of machines m, comma-separated")
	ns := fs.String("ns", "", "local sample sizes n, comma-separated")
	nTotal := fs.Int("n-total", 0, "total sample size N; n = N / m for every m (replaces --ns)")
	omegas := fs.String("max-omegas", "", "maximum overlaps MaxOmega of the true mixtures, comma-separated, each in (0, 1)")
	alphas := fs.String("alphas", "", "failure rates, comma-separated, each in [0, 0.5)")
	failures := fs.String("failures", "", "failure kinds, comma-separated: mean, cov, weight (default all three)")
	dim := fs.Int("d", 0, "dimension (default 10)")
	k := fs.Int("k", 0, "order of the mixtures (default 5)")
	testN := fs.Int("test-n", 0, "size of the test sample the ARI is computed on (default 10,000)")
	penalty := fs.String("penalty-scale", "1", "c in the local fits' penalty a_n = c n^(-1/2): a number (1, the paper's, is the "+
		"default here: at n >= 5,000 started at the truth it fits well) or auto (chosen per machine by held-out likelihood)")
	kmeans := fs.Int("kmeans-starts", 0, "start each local EM from this many k-means++ initializations instead of at the true mixture (the paper's)")
	var sf serverFlags
	sf.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *reps < 1 || *parallel < 1 {
		return fmt.Errorf("--reps %d and --parallel %d: want at least 1 each", *reps, *parallel)
	}
	var c experiments.SimConfig
	switch {
	case *fig != 0:
		var err error
		if c, err = experiments.NewSimConfig(*fig); err != nil {
			return fmt.Errorf("--figure: %w", err)
		}
	case *ms == "" || (*ns == "" && *nTotal == 0) || *omegas == "" || *alphas == "":
		return errors.New("give --figure 2, 3, 4 or 5 (the paper's grids), or a whole grid: --ms, --ns or --n-total, --max-omegas and --alphas")
	default:
		c, _ = experiments.NewSimConfig(2)
		c.Figure = 0
	}
	c.Seed = *seed
	var err error
	if *ms != "" {
		if c.Ms, err = parseInts("--ms", *ms); err != nil {
			return err
		}
	}
	if *ns != "" {
		if c.Ns, err = parseInts("--ns", *ns); err != nil {
			return err
		}
		c.NTotal = 0
	}
	if *nTotal != 0 {
		if *nTotal < 0 {
			return fmt.Errorf("--n-total %d: want a positive size", *nTotal)
		}
		c.NTotal, c.Ns = *nTotal, nil
	}
	if *omegas != "" {
		if c.MaxOmegas, err = parseFloats("--max-omegas", *omegas); err != nil {
			return err
		}
	}
	if *alphas != "" {
		if c.Alphas, err = parseAlphas(*alphas); err != nil {
			return err
		}
	}
	if *failures != "" {
		c.Failures = nil
		for _, f := range strings.Split(*failures, ",") {
			ff, err := adversary.ParseFailure(strings.TrimSpace(f))
			if err != nil {
				return fmt.Errorf("--failures: %w", err)
			}
			c.Failures = append(c.Failures, ff)
		}
	}
	if *dim != 0 {
		c.Dim = *dim
	}
	if *k != 0 {
		c.K = *k
	}
	if *testN != 0 {
		c.TestN = *testN
	}
	if *penalty == "auto" {
		c.PenaltyScale = 0
	} else if c.PenaltyScale, err = parsePositive(*penalty); err != nil {
		return fmt.Errorf("--penalty-scale %q: want auto or a number > 0", *penalty)
	}
	c.KMeansStarts = *kmeans
	if err := sf.apply(&c.Aggregation); err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return fmt.Errorf("%w (flags --figure, --ms, --ns, --n-total, --max-omegas, --alphas, --failures, --d, --k, --test-n)", err)
	}
	var shard experiments.Shard
	if *shardFlag != "" {
		if shard, err = experiments.ParseShard(*shardFlag); err != nil {
			return fmt.Errorf("--shard: %w", err)
		}
	}
	setup := experiments.SimSetup{Config: c, Reps: *reps}
	if *out == "" {
		*out = report.SimFolder(setup)
		if shard.Count > 1 {
			*out = filepath.Join(*out, fmt.Sprintf("shard-%d-of-%d", shard.Index, shard.Count))
		}
	}
	done := experiments.SimFinished(*out, setup, shard)
	results, summarize, err := runRepetitions(shard, *reps, done, experiments.SimWork(c), *out,
		func(step func(experiments.Work)) ([]experiments.SimRep, error) {
			return experiments.Simulate(ctx, setup, *out, experiments.Options{Parallel: *parallel, Step: step, Shard: shard})
		})
	if err != nil || !summarize {
		return err
	}
	return report.WriteSimulation(*out, setup, results, *title, commandLine(), *parallel, os.Stdout, os.Stderr)
}

func parseInts(flag, s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || v < 1 {
			return nil, fmt.Errorf("%s: %q is not a positive integer", flag, f)
		}
		out = append(out, v)
	}
	return out, nil
}

func parseFloats(flag, s string) ([]float64, error) {
	var out []float64
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || !(v > 0 && v < 1) {
			return nil, fmt.Errorf("%s: %q is not a number in (0, 1)", flag, f)
		}
		out = append(out, v)
	}
	return out, nil
}
