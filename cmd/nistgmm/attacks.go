package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/nistgmm/nistgmm/experiments"
	"github.com/nistgmm/nistgmm/experiments/report"
	"github.com/nistgmm/nistgmm/federated/adversary"
	"github.com/nistgmm/nistgmm/internal/atomicfile"
)

// cmdAttacks runs Table 2's experiment under every adaptive attack (each
// with its own sample size and with an inflated one) into one folder per
// attack, and writes the attack table.
func cmdAttacks(ctx context.Context, args []string) error {
	fs := newFlagSet("attacks", "[--attacks NAME,NAME] [--reps 25] --out DIR [flags]")
	var ef experimentFlags
	ef.register(fs)
	var adaptive []string
	for _, f := range adversary.Failures() {
		if f.Adaptive() {
			adaptive = append(adaptive, string(f))
		}
	}
	attacks := fs.String("attacks", strings.Join(adaptive, ","), "adaptive failures to run, comma-separated")
	inflated := fs.Int("inflated-n", 1000000000000000, "the sample size Byzantine machines report in the inflated runs (0: no inflated runs)")
	reps := fs.Int("reps", 25, "repetitions per attack (at least 1)")
	alphas := fs.String("alphas", "0.1,0.2,0.3,0.4", "failure rates, comma-separated, each in (0, 0.5)")
	out := fs.String("out", "", "output folder: one subfolder per attack (and per inflated attack), each resumable, and attacks.md, attacks.csv")
	parallel := fs.Int("parallel", runtime.GOMAXPROCS(0), "repetitions run at once")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case *out == "":
		return fmt.Errorf("--out is required")
	case *reps < 1 || *parallel < 1:
		return fmt.Errorf("--reps %d and --parallel %d: want at least 1 each", *reps, *parallel)
	case *inflated < 0:
		return fmt.Errorf("--inflated-n %d: want 0 (none) or more", *inflated)
	case ef.failure != "" || ef.byzantineN != 0:
		return fmt.Errorf("--failure and --byzantine-n are set per run by attacks: use --attacks and --inflated-n")
	}
	var kinds []adversary.Failure
	for _, a := range strings.Split(*attacks, ",") {
		f, err := adversary.ParseFailure(strings.TrimSpace(a))
		if err != nil {
			return fmt.Errorf("--attacks: %w", err)
		}
		if !f.Adaptive() {
			return fmt.Errorf("--attacks: %s is not an adaptive attack (want some of %s)", f, strings.Join(adaptive, ", "))
		}
		kinds = append(kinds, f)
	}
	as, err := parseAlphas(*alphas)
	if err != nil {
		return err
	}
	ef.failure = string(kinds[0])
	d, base, source, err := ef.loadChecked(ctx, as)
	if err != nil {
		return err
	}
	ns := []int{0}
	if *inflated > 0 {
		ns = append(ns, *inflated)
	}
	var rows []experiments.AttackRow
	for _, f := range kinds {
		for _, n := range ns {
			c := base
			c.Failure, c.ByzantineN = f, n
			dir := filepath.Join(*out, string(f))
			if n > 0 {
				dir += "-inflated-n"
			}
			setup := experiments.Table2Setup{Config: c, Reps: *reps, Features: source}
			done := experiments.Table2Finished(dir, setup, experiments.Shard{})
			fmt.Fprintf(os.Stderr, "%s, Byzantine n %s -> %s\n", f, describeN(n), dir)
			results, _, err := runRepetitions(experiments.Shard{}, *reps, done, experiments.Table2Work(c), dir,
				func(step func(experiments.Work)) ([]experiments.Table2Rep, error) {
					return experiments.Reproduce(ctx, d, setup, dir, experiments.Options{Parallel: *parallel, Step: step})
				})
			if err != nil {
				return err
			}
			title := fmt.Sprintf("%s attack (Byzantine n %s): %s distance, m=%d, n=%d per machine", f, describeN(n), c.Distance, c.Machines, c.NTotal/c.Machines)
			if err := report.WriteTable2(dir, setup, results, title, commandLine(), *parallel, os.Stdout, os.Stderr); err != nil {
				return err
			}
			rows = append(rows, experiments.SummarizeAttack(c, results)...)
		}
	}
	if err := atomicfile.WriteFile(filepath.Join(*out, "attacks.md"), func(w io.Writer) error {
		return experiments.WriteAttackMarkdown(w, rows, commandLine())
	}); err != nil {
		return err
	}
	if err := atomicfile.WriteFile(filepath.Join(*out, "attacks.csv"), func(w io.Writer) error { return experiments.WriteAttackCSV(w, rows) }); err != nil {
		return err
	}
	experiments.WriteAttackMarkdown(os.Stdout, rows, "")
	fmt.Fprintf(os.Stderr, "wrote attacks.md and attacks.csv in %s\n", *out)
	return nil
}

func describeN(n int) string {
	if n == 0 {
		return "their own"
	}
	return fmt.Sprint(n)
}
