package main

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nistgmm/nistgmm/features"
)

// Every bad flag is refused with a message naming it, before any features
// are loaded (the folder given does not exist, so a later check would fail
// on it instead) or any machine is fitted.
func TestFlagsCheckedBeforeWork(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nowhere")
	cases := []struct {
		cmd  func(context.Context, []string) error
		args []string
		want string
	}{
		{cmdRun, []string{"--alpha", "0.7"}, "--alpha"},
		{cmdRun, []string{"--alpha", "NaN"}, "--alpha"},
		{cmdRun, []string{"--n-total", "10"}, "training digits"},
		{cmdRun, []string{"--machines", "0"}, "0 machines: the robust methods need at least 3"},
		{cmdRun, []string{"--machines", "2"}, "at least 3"},
		{cmdRun, []string{"--letters-n", "0", "--failure", "letters"}, "letter features"},
		{cmdRun, []string{"--letters-n", "-5", "--failure", "letters"}, "letter features"},
		{cmdRun, []string{"--restarts", "0"}, "--restarts"},
		{cmdRun, []string{"--penalty-scale", "-1"}, `--penalty-scale "-1": want auto or a number > 0`},
		{cmdRun, []string{"--distance", "euclid"}, "--distance"},
		{cmdRun, []string{"--ared-radius", "wide"}, "--ared-radius"},
		{cmdRun, []string{"--failure", "fire"}, "--failure"},
		{cmdRun, []string{"extra-arg"}, "unexpected argument"},
		{cmdReproduce, []string{"--alphas", "0,0.6"}, "--alphas"},
		{cmdReproduce, []string{"--reps", "0"}, "--reps"},
		{cmdAggregate, []string{"--estimates", missing, "--trim", "0"}, "--trim"},
		{cmdAggregate, []string{}, "missing --estimates"},
		{cmdAggregate, []string{"--estimates", missing}, "--estimates"},
		{cmdScore, []string{"--features", "x.npy"}, "missing --mixture"},
		{cmdFitLocal, []string{"--id", "a"}, "missing --data"},
		{cmdFitLocal, []string{"--data", missing, "--id", "a", "--out", missing, "--restarts", "0"}, "--restarts"},
	}
	for _, c := range cases {
		args := c.args
		if isExperiment(c.cmd) {
			args = append([]string{"--features", missing}, args...)
		}
		err := c.cmd(context.Background(), args)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want one mentioning %q", c.args, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "nowhere/manifest") {
			t.Errorf("%v: features were loaded before the flags were checked: %v", c.args, err)
		}
	}
}

// isExperiment reports whether cmd is run or reproduce, which take --features.
func isExperiment(cmd func(context.Context, []string) error) bool {
	err := cmd(context.Background(), []string{"--features", "x", "-h"})
	return errors.Is(err, errHelp)
}

func TestHelpIsNotAnError(t *testing.T) {
	for name, c := range commands {
		err := c.run(context.Background(), []string{"-h"})
		if !errors.Is(err, errHelp) {
			t.Errorf("%s -h: %v, want the help signal (exit 0)", name, err)
		}
	}
}

// Corrupt inputs to the machine and scoring commands are errors, not panics.
func TestCorruptFilesAreErrors(t *testing.T) {
	dir := t.TempDir()
	cut := filepath.Join(dir, "cut.npy")
	os.WriteFile(cut, []byte("\x93NUMPY\x01\x00\x76\x00{'descr'"), 0o644)
	err := cmdFitLocal(context.Background(), []string{"--data", cut, "--id", "a", "--out", filepath.Join(dir, "e.json")})
	if err == nil || !strings.Contains(err.Error(), "--data") {
		t.Errorf("fit-local on a cut .npy: %v", err)
	}
	noMix := filepath.Join(dir, "nomix.json")
	os.WriteFile(noMix, []byte(`{"method":"ared"}`), 0o644)
	err = cmdScore(context.Background(), []string{"--mixture", noMix, "--features", cut, "--labels", cut})
	if err == nil || !strings.Contains(err.Error(), "no top-level \"mixture\"") {
		t.Errorf("score without a mixture: %v", err)
	}
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"mixture":{"weights":[1],"means":[[0]],"covariances":[[[-1]]]}}`), 0o644)
	err = cmdScore(context.Background(), []string{"--mixture", bad, "--features", cut, "--labels", cut})
	if err == nil || !strings.Contains(err.Error(), "not a valid mixture") {
		t.Errorf("score with a non-PD mixture: %v", err)
	}
}

// syntheticFeatures writes a features folder of ten well-separated
// classes in 50 dimensions, without letters.
func syntheticFeatures(t *testing.T) string {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(4, 4))
	centres := make([][]float32, 10)
	for c := range centres {
		centres[c] = make([]float32, features.Dim)
		for j := range centres[c] {
			centres[c][j] = float32(3 * rng.NormFloat64())
		}
	}
	write := func(name string, n int) {
		feats := make([]float32, 0, n*features.Dim)
		labels := make([]int, n)
		for i := 0; i < n; i++ {
			labels[i] = i % 10
			for j := 0; j < features.Dim; j++ {
				feats = append(feats, centres[i%10][j]+float32(rng.NormFloat64()))
			}
		}
		if err := features.WriteSet(dir, name, feats, labels); err != nil {
			t.Fatal(err)
		}
	}
	write(features.DigitsTrain, 900)
	write(features.DigitsTest, 300)
	if err := features.WriteManifest(dir, &features.Manifest{Format: features.ManifestFormat, ModelSHA256: "synthetic"}); err != nil {
		t.Fatal(err)
	}
	return dir
}

// run --json prints one JSON document and nothing else on stdout.
func TestRunJSONIsPureJSON(t *testing.T) {
	dir := syntheticFeatures(t)
	out := captureStdout(t, func() {
		err := cmdRun(context.Background(), []string{"--features", dir, "--machines", "3", "--n-total", "900",
			"--alpha", "0.34", "--restarts", "1", "--json"})
		if err != nil {
			t.Fatal(err)
		}
	})
	var doc map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("stdout is not one JSON document: %v\n%s", err, out)
	}
	cfg, ok := doc["config"].(map[string]any)
	if !ok || cfg["n_total"] == nil || cfg["Machines"] != nil {
		t.Errorf("config keys are not snake_case: %v", doc["config"])
	}
}

// Shards run apart and merged give the table2.csv of an unsharded run, byte
// for byte.
func TestShardsMergeToTheUnshardedRun(t *testing.T) {
	feats := syntheticFeatures(t)
	base := []string{"--features", feats, "--machines", "3", "--n-total", "900", "--reps", "3", "--alphas", "0,0.34",
		"--restarts", "1", "--penalty-scale", "10", "--parallel", "2"}
	dir := t.TempDir()
	run := func(extra ...string) {
		captureStdout(t, func() {
			if err := cmdReproduce(context.Background(), append(append([]string{}, base...), extra...)); err != nil {
				t.Fatal(err)
			}
		})
	}
	whole := filepath.Join(dir, "whole")
	run("--out", whole)
	shards := []string{filepath.Join(dir, "s0"), filepath.Join(dir, "s1")}
	run("--out", shards[1], "--shard", "1/2")
	if err := cmdMerge(context.Background(), []string{"--out", filepath.Join(dir, "early"), shards[1]}); err == nil ||
		!strings.Contains(err.Error(), "missing") {
		t.Fatalf("merging one of two shards: %v, want an error naming the missing repetitions", err)
	}
	run("--out", shards[0], "--shard", "0/2")
	merged := filepath.Join(dir, "merged")
	captureStdout(t, func() {
		if err := cmdMerge(context.Background(), append([]string{"--out", merged}, shards...)); err != nil {
			t.Fatal(err)
		}
	})
	a, err := os.ReadFile(filepath.Join(whole, "table2.csv"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(merged, "table2.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if string(a) != string(b) || len(a) < 100 {
		t.Fatalf("merged table2.csv differs from the unsharded one:\n%s\nvs\n%s", a, b)
	}
	other := filepath.Join(dir, "other")
	captureStdout(t, func() {
		if err := cmdReproduce(context.Background(), append(append([]string{}, base[:len(base)-2]...), "--seed", "2", "--out", other, "--shard", "0/2")); err != nil {
			t.Fatal(err)
		}
	})
	if err := cmdMerge(context.Background(), []string{"--out", filepath.Join(dir, "mixed"), other, shards[1]}); err == nil ||
		!strings.Contains(err.Error(), "different experiment") {
		t.Fatalf("merging shards of two experiments: %v", err)
	}
}
