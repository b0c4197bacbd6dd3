package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/nistgmm/nistgmm/experiments"
	"github.com/nistgmm/nistgmm/experiments/report"
)

func cmdMerge(ctx context.Context, args []string) error {
	fs := newFlagSet("merge", "--out DIR SHARD-FOLDER...")
	out := fs.String("out", "", "folder for the merged checkpoint and tables")
	title := fs.String("title", "", "title of the tables and plots")
	if err := parseFlagsAndArgs(fs, args); err != nil {
		return err
	}
	if err := required(fs, "out"); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return fmt.Errorf("give the shard folders after the flags: nistgmm merge --out DIR SHARD-FOLDER...")
	}
	command := "nistgmm merge " + strings.Join(args, " ")
	if b, err := os.ReadFile(filepath.Join(fs.Arg(0), "command.txt")); err == nil {
		// The experiment's own command, without the shard and its folder.
		command = regexp.MustCompile(` --shard[ =]\S+| --out[ =]\S+`).ReplaceAllString(strings.TrimSpace(string(b)), "")
	}
	if experiments.IsSimulation(fs.Arg(0)) {
		setup, results, err := experiments.MergeSimulation(fs.Args())
		if err != nil {
			return err
		}
		if err := experiments.WriteSimCheckpoint(*out, setup, results); err != nil {
			return fmt.Errorf("--out: %w", err)
		}
		return report.WriteSimulation(*out, setup, results, *title, command, 1, os.Stdout, os.Stderr)
	}
	setup, results, err := experiments.MergeTable2(fs.Args())
	if err != nil {
		return err
	}
	if err := experiments.WriteTable2Checkpoint(*out, setup, results); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	return report.WriteTable2(*out, setup, results, *title, command, 1, os.Stdout, os.Stderr)
}
