package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/nistgmm/nistgmm/experiments"
	"github.com/nistgmm/nistgmm/experiments/report"
	"github.com/nistgmm/nistgmm/internal/plural"
)

func cmdReproduce(ctx context.Context, args []string) error {
	fs := newFlagSet("reproduce", "[--reps 300] [--out DIR] [flags]")
	var ef experimentFlags
	ef.register(fs)
	reps := fs.Int("reps", 300, "repetitions (at least 1). The paper's 300 took 1.6 to 2.4 hours on a 2-core Xeon "+
		"virtual machine (n = 500 to 1,200 per machine; docs/speed.md), or minutes sharded on a cluster (--shard)")
	alphas := fs.String("alphas", "0,0.1,0.2,0.3,0.4", "failure rates, comma-separated, each in [0, 0.5)")
	out := fs.String("out", "", "output folder, which also holds the checkpoint to resume from (default: runs/<distance>-n<N/m>-<failure>-<hash of the configuration>)")
	parallel := fs.Int("parallel", runtime.GOMAXPROCS(0), "repetitions run at once")
	title := fs.String("title", "", "title of table2.md and the plot")
	shardFlag := fs.String("shard", "", "run only shard i of n (i/n, 0 <= i < n): the repetitions r with r mod n = i, "+
		"into their own folder; combine the shards with 'nistgmm merge'. On Slurm, an array job with one shard per task: "+
		"sbatch --array=0-9 deploy/slurm/reproduce.sbatch, then deploy/slurm/merge.sbatch (Kubernetes: deploy/kubernetes; "+
		"docs/data-and-cluster.md)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *reps < 1 || *parallel < 1 {
		return fmt.Errorf("--reps %d and --parallel %d: want at least 1 each", *reps, *parallel)
	}
	var shard experiments.Shard
	if *shardFlag != "" {
		var err error
		if shard, err = experiments.ParseShard(*shardFlag); err != nil {
			return fmt.Errorf("--shard: %w", err)
		}
	}
	as, err := parseAlphas(*alphas)
	if err != nil {
		return err
	}
	d, c, source, err := ef.loadChecked(ctx, as)
	if err != nil {
		return err
	}
	setup := experiments.Table2Setup{Config: c, Reps: *reps, Features: source}
	if *out == "" {
		*out = report.Table2Folder(setup)
		if shard.Count > 1 {
			*out = filepath.Join(*out, fmt.Sprintf("shard-%d-of-%d", shard.Index, shard.Count))
		}
	}
	done := experiments.Table2Finished(*out, setup, shard)
	results, summarize, err := runRepetitions(shard, *reps, done, experiments.Table2Work(c), *out,
		func(step func(experiments.Work)) ([]experiments.Table2Rep, error) {
			return experiments.Reproduce(ctx, d, setup, *out, experiments.Options{Parallel: *parallel, Step: step, Shard: shard})
		})
	if err != nil || !summarize {
		return err
	}
	return report.WriteTable2(*out, setup, results, *title, commandLine(), *parallel, os.Stdout, os.Stderr)
}

// runRepetitions runs the shard's unfinished repetitions of an experiment
// (done of them are already in out) behind a progress bar, and says how to
// resume after an interruption. For one shard of several it writes the
// command and says how to merge; summarize then is false.
func runRepetitions[R any](shard experiments.Shard, reps, done int, work []experiments.WorkKind, out string,
	run func(step func(experiments.Work)) ([]R, error)) (results []R, summarize bool, err error) {
	own := shard.Reps(reps)
	if done > 0 {
		fmt.Fprintf(os.Stderr, "resuming: %d of %s already in %s\n", done, plural.Count(own, "repetition"), out)
	}
	bar, add := newWorkBar(plural.Count(own-done, "repetition"), own-done, work)
	results, err = run(add)
	bar.Finish()
	if err != nil {
		if errors.Is(err, context.Canceled) {
			fmt.Fprintf(os.Stderr, "stopped after %s; run the same command again to resume\n", plural.Count(len(results), "repetition"))
		}
		return nil, false, fmt.Errorf("%w (--out %s)", err, out)
	}
	if shard.Count <= 1 {
		return results, true, nil
	}
	if err := report.WriteCommand(out, commandLine()); err != nil {
		return nil, false, err
	}
	fmt.Fprintf(os.Stderr, "shard %d of %d: %s in %s; when every shard is done: nistgmm merge --out DIR SHARD-FOLDERS...\n",
		shard.Index, shard.Count, plural.Count(len(results), "repetition"), out)
	return results, false, nil
}

// commandLine is the command as typed, for command.txt.
func commandLine() string { return "nistgmm " + strings.Join(os.Args[1:], " ") }
