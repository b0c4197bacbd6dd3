package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nistgmm/nistgmm/mixsim"
)

func TestSimulateFlagsRefused(t *testing.T) {
	out := filepath.Join(t.TempDir(), "sim")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{}, "--figure"},
		{[]string{"--figure", "7"}, "figure"},
		{[]string{"--figure", "3", "--ms", "2"}, "at least 3"},
		{[]string{"--figure", "3", "--ms", "x"}, "--ms"},
		{[]string{"--figure", "5", "--max-omegas", "1.5"}, "--max-omegas"},
		{[]string{"--figure", "2", "--alphas", "0.6"}, "--alphas"},
		{[]string{"--figure", "2", "--failures", "letters"}, "mean, cov and weight"},
		{[]string{"--figure", "2", "--failures", "fire"}, "--failures"},
		{[]string{"--figure", "2", "--penalty-scale", "-1"}, "--penalty-scale"},
		{[]string{"--figure", "2", "--reps", "0"}, "--reps"},
		{[]string{"--figure", "2", "--d", "-1"}, "d = -1"},
		{[]string{"--figure", "2", "--distance", "euclid"}, "--distance"},
		{[]string{"--figure", "3", "--shard", "3/2"}, "--shard"},
		{[]string{"--figure", "3", "stray"}, "unexpected argument"},
		{[]string{"mixture", "--k", "5", "--max-omega", "0.3"}, "missing --out"},
		{[]string{"mixture", "--out", out}, "--max-omega"},
		{[]string{"mixture", "--max-omega", "1.2", "--out", out}, "MaxOmega"},
		{[]string{"mixture", "--k", "3", "--min-weight", "0.5", "--max-omega", "0.1", "--out", out}, "smallest weight"},
	}
	for _, c := range cases {
		args := c.args
		if len(args) == 0 || args[0] != "mixture" {
			args = append(append([]string{}, args...), "--out", out)
		}
		err := cmdSimulate(context.Background(), args)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want one mentioning %q", c.args, err, c.want)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a refused command wrote output")
	}
}

// stdoutOf runs f with os.Stdout redirected and returns what it wrote.
func stdoutOf(t *testing.T, f func() error) ([]byte, error) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stdout
	os.Stdout = w
	done := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(r)
		done <- b
	}()
	ferr := f()
	w.Close()
	os.Stdout = old
	return <-done, ferr
}

func TestSimulateMixtureAndOverlapAgree(t *testing.T) {
	dir := t.TempDir()
	truth := filepath.Join(dir, "truth.json")
	if err := cmdSimulate(context.Background(), []string{"mixture", "--k", "4", "--d", "3", "--max-omega", "0.2", "--seed", "3", "--out", truth}); err != nil {
		t.Fatal(err)
	}
	var written mixsim.Document
	data, err := os.ReadFile(truth)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &written); err != nil {
		t.Fatal(err)
	}
	if math.Abs(written.MaxOmega-0.2) > 1e-6 || written.Mixture == nil || len(written.OmegaMap) != 4 {
		t.Fatalf("simulate mixture wrote MaxOmega %v, %d rows of map", written.MaxOmega, len(written.OmegaMap))
	}
	printed, err := stdoutOf(t, func() error { return cmdOverlap(context.Background(), []string{"--mixture", truth}) })
	if err != nil {
		t.Fatal(err)
	}
	var got mixsim.Document
	if err := json.Unmarshal(printed, &got); err != nil {
		t.Fatalf("overlap printed %q: %v", printed, err)
	}
	if got.MaxOmega != written.MaxOmega || got.BarOmega != written.BarOmega {
		t.Errorf("overlap gives MaxOmega %v and BarOmega %v; the generator wrote %v and %v", got.MaxOmega, got.BarOmega, written.MaxOmega, written.BarOmega)
	}
	for _, key := range []string{`"max_omega"`, `"max_omega_pair"`, `"bar_omega"`, `"omega_map"`} {
		if !bytes.Contains(printed, []byte(key)) {
			t.Errorf("overlap output lacks %s", key)
		}
	}
	// The mixture is the input: overlap prints only the overlaps.
	if bytes.Contains(printed, []byte(`"mixture"`)) || bytes.Count(printed, []byte("\n")) > 4+4+2+6 {
		t.Errorf("overlap printed the mixture again (%d lines)", bytes.Count(printed, []byte("\n")))
	}
}

// Malformed or malicious mixtures are refused with a reason, never a panic.
func TestOverlapRefusesBadMixtures(t *testing.T) {
	dir := t.TempDir()
	cases := map[string]string{
		"not json":     `{"mixture": [`,
		"no mixture":   `{"weights": [1]}`,
		"nan":          `{"mixture": {"weights": [0.5, 0.5], "means": [[0], [NaN]], "covariances": [[[1]], [[1]]]}}`,
		"not pd":       `{"mixture": {"weights": [0.5, 0.5], "means": [[0, 0], [1, 1]], "covariances": [[[1, 2], [2, 1]], [[1, 0], [0, 1]]]}}`,
		"wrong shape":  `{"mixture": {"weights": [0.5, 0.5], "means": [[0, 0], [1]], "covariances": [[[1, 0], [0, 1]], [[1]]]}}`,
		"weights":      `{"mixture": {"weights": [0.9, 0.5], "means": [[0], [1]], "covariances": [[[1]], [[1]]]}}`,
		"missing file": "",
	}
	for name, body := range cases {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".json")
		if body != "" {
			if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		out, err := stdoutOf(t, func() error { return cmdOverlap(context.Background(), []string{"--mixture", path}) })
		if err == nil {
			t.Errorf("%s: accepted, printed %s", name, out)
		}
	}
}

// A simulation split into shards run as separate commands and merged gives
// the unsharded run's files.
func TestSimulationShardsMergeToTheUnshardedRun(t *testing.T) {
	dir := t.TempDir()
	base := []string{"--ms", "4", "--ns", "200", "--max-omegas", "0.1", "--alphas", "0.25", "--failures", "mean,weight",
		"--d", "2", "--k", "2", "--test-n", "300", "--reps", "3", "--parallel", "1", "--seed", "4"}
	run := func(extra ...string) {
		t.Helper()
		if _, err := stdoutOf(t, func() error { return cmdSimulate(context.Background(), append(append([]string{}, base...), extra...)) }); err != nil {
			t.Fatal(err)
		}
	}
	whole := filepath.Join(dir, "whole")
	run("--out", whole)
	var shards []string
	for i := 0; i < 2; i++ {
		s := filepath.Join(dir, "shard"+string(rune('0'+i)))
		run("--out", s, "--shard", string(rune('0'+i))+"/2")
		shards = append(shards, s)
	}
	merged := filepath.Join(dir, "merged")
	if _, err := stdoutOf(t, func() error { return cmdMerge(context.Background(), append([]string{"--out", merged}, shards...)) }); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"summary.csv", "reps.csv"} {
		a, err := os.ReadFile(filepath.Join(whole, f))
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(merged, f))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s of the merged shards differs from the unsharded run", f)
		}
	}
	for _, f := range []string{"w1.png", "ari.png", "summary.md"} {
		if _, err := os.Stat(filepath.Join(merged, f)); err != nil {
			t.Error(err)
		}
	}
}
