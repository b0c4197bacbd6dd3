// Command nistgmm learns Gaussian mixtures from handwritten NIST characters
// by split-and-conquer, tolerating Byzantine machines.
//
//	nistgmm extract    images -> CNN features (.npy + manifest.json)
//	nistgmm prepare    images -> preprocessed IDX files for scripts/train_cnn.py
//	nistgmm run        one experiment at one failure rate, printed as a table
//	nistgmm reproduce  the paper's Table 2 over many repetitions (or one shard of it)
//	nistgmm attacks    Table 2's experiment under every adaptive attack, and the attack table
//	nistgmm simulate   the simulation study of Section 5 (Figures 2-5, 7-10), or one random mixture
//	nistgmm overlap    exact pairwise overlaps of a mixture (MaxOmega, BarOmega)
//	nistgmm merge      the shards of a reproduction or simulation, merged
//	nistgmm fit-local  one machine: fit a mixture, write an estimates file
//	nistgmm aggregate  the server: aggregate an estimates file
//	nistgmm score      ARI of a mixture's clustering of labelled features
//	nistgmm ca         the federation's certificate authority
//	nistgmm serve      the federation's coordinator
//	nistgmm round      open a federation round, read its result
//	nistgmm site       one site of a federation
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"

	"github.com/nistgmm/nistgmm/internal/fastblas"
)

type command struct {
	summary string
	run     func(ctx context.Context, args []string) error
}

// commands is filled in init: each command's flag set reads its summary
// for -h, which would otherwise be an initialization cycle.
var commands map[string]command

func init() {
	commands = map[string]command{
		"extract":   {"extract CNN features from SD19, IDX or the built-in MNIST", cmdExtract},
		"prepare":   {"write preprocessed images as IDX files for scripts/train_cnn.py", cmdPrepare},
		"run":       {"run the experiment once at one failure rate", cmdRun},
		"reproduce": {"reproduce Table 2 over many repetitions", cmdReproduce},
		"attacks":   {"run Table 2's experiment under every adaptive attack and write the attack table", cmdAttacks},
		"explore":   {"draw random digit and letter images and a t-SNE embedding of their features (Figure 6)", cmdExplore},
		"merge":     {"merge the shard folders of one reproduction or simulation into its tables", cmdMerge},
		"simulate":  {"run the simulation study of Section 5, or draw one mixture with a given overlap ('simulate mixture')", cmdSimulate},
		"overlap":   {"print the exact pairwise overlaps (MaxOmega, BarOmega, the map) of a mixture", cmdOverlap},
		"fit-local": {"fit one machine's mixture and write an estimates file", cmdFitLocal},
		"aggregate": {"aggregate an estimates file with a robust method", cmdAggregate},
		"calibrate": {"run clean rounds of Section 5's generator and report how often ARED's verdicts flag an honest site", cmdCalibrate},
		"scale":     {"measure ARED's time, memory and detection against the number of machines", cmdScale},
		"score":     {"ARI of a mixture's clustering of labelled features", cmdScore},
		"version":   {"print the build, Go, onnxruntime and CNN versions", cmdVersion},
		"ca":        {"the federation's certificate authority: init, issue, revoke, list", cmdCA},
		"serve":     {"the federation's coordinator: rounds of commit and reveal over gRPC with mutual TLS", cmdServe},
		"round":     {"open a federation round, read its status, result, estimates, or back up the coordinator", cmdRound},
		"site":      {"one site of a federation: fit its own data, commit, reveal", cmdSite},
	}
}

// usage lists the commands on w: stdout when asked for, stderr after a
// mistake.
func usage(w io.Writer) {
	fmt.Fprintf(w, "usage: nistgmm <command> [flags]\n\ncommands:\n")
	var names []string
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintf(w, "\n'nistgmm <command> -h' (or 'nistgmm help <command>') describes a command and its flags.\n")
}

func main() {
	if len(os.Args) < 2 {
		usage(os.Stderr)
		os.Exit(2)
	}
	if len(os.Args) >= 3 && os.Args[1] == "help" {
		os.Args = []string{os.Args[0], os.Args[2], "-h"}
	}
	if a := os.Args[1]; a == "--version" || a == "-version" {
		os.Args[1] = "version"
	}
	if a := os.Args[1]; a == "-h" || a == "--help" || a == "help" {
		usage(os.Stdout)
		os.Exit(0)
	}
	c, ok := commands[os.Args[1]]
	if !ok {
		fmt.Fprintf(os.Stderr, "nistgmm: unknown command %q\n\n", os.Args[1])
		usage(os.Stderr)
		os.Exit(2)
	}
	fastblas.Enable()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := c.run(ctx, os.Args[2:]); err != nil {
		if errors.Is(err, errHelp) {
			os.Exit(0)
		}
		if errors.Is(err, context.Canceled) {
			fmt.Fprintln(os.Stderr, "nistgmm: interrupted")
			os.Exit(130)
		}
		// Library errors often start with the command's own name (extract:,
		// merge:): say it once.
		msg := strings.TrimPrefix(err.Error(), os.Args[1]+": ")
		fmt.Fprintf(os.Stderr, "nistgmm %s: %s\n", os.Args[1], msg)
		os.Exit(1)
	}
}
