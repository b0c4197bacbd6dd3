package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// readmeCommands returns the nistgmm command lines of the first code
// block under the README's heading, each split into its words.
func readmeCommands(t *testing.T, heading string) [][]string {
	t.Helper()
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n"+heading+"\n")
	if !ok {
		t.Fatalf("README.md has no %q section", heading)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	var lines [][]string
	for _, block := range strings.Split(section, "```")[1:] {
		for _, line := range strings.Split(block, "\n") {
			if strings.HasPrefix(line, "nistgmm ") {
				lines = append(lines, strings.Fields(line))
			}
		}
		if len(lines) > 0 {
			return lines
		}
	}
	t.Fatalf("README.md's %q section has no nistgmm commands", heading)
	return nil
}

// writeSite writes n observations of three clusters in two features, with
// a site column and the cluster as label; shift moves every cluster, as a
// site whose instrument is broken would.
func writeSite(t *testing.T, path, site string, n int, shift float64, rng *rand.Rand) {
	t.Helper()
	centres := [][2]float64{{0, 0}, {6, 0}, {3, 6}}
	var b strings.Builder
	b.WriteString("site,x1,x2,label\n")
	for i := 0; i < n; i++ {
		c := i % 3
		fmt.Fprintf(&b, "%s,%.4f,%.4f,%d\n", site, centres[c][0]+shift+rng.NormFloat64(), centres[c][1]-shift+rng.NormFloat64(), c)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// The README's "Your own data" walkthrough runs as written: its commands
// are read from README.md, so the two cannot drift apart. Site 5's data
// are shifted far from the others', and the server flags it by name.
func TestReadmeOwnDataWalkthrough(t *testing.T) {
	lines := readmeCommands(t, "## Your own data")
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(27, 1))
	for i := 0; i < 6; i++ {
		shift := 0.0
		if i == 5 {
			shift = 25
		}
		writeSite(t, filepath.Join(dir, fmt.Sprintf("site%02d.csv", i)), fmt.Sprintf("site%02d", i), 400, shift, rng)
	}
	writeSite(t, filepath.Join(dir, "test.csv"), "test", 600, 0, rng)
	t.Chdir(dir)
	var summary, score string
	for _, words := range lines {
		c, ok := commands[words[1]]
		if !ok {
			t.Fatalf("README runs an unknown command: %s", strings.Join(words, " "))
		}
		var err error
		stderr := captureFile(t, &os.Stderr, func() {
			out := captureFile(t, &os.Stdout, func() { err = c.run(context.Background(), words[2:]) })
			if words[1] == "score" {
				score = out
			}
		})
		if err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(words, " "), err, stderr)
		}
		if words[1] == "aggregate" {
			summary = stderr
		}
	}
	var report struct {
		Kept    []string `json:"kept"`
		Flagged []string `json:"flagged"`
	}
	data, err := os.ReadFile("aggregate.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &report); err != nil {
		t.Fatal(err)
	}
	if slices.Contains(report.Kept, "site05") || len(report.Kept) != 5 {
		t.Errorf("kept %v: want the five honest sites", report.Kept)
	}
	if want := fmt.Sprintf("flagged %d%s,", len(report.Flagged), namedList(report.Flagged)); !strings.Contains(summary, want) {
		t.Errorf("aggregate's summary does not name the flagged sites as %q:\n%s", want, summary)
	}
	m := regexp.MustCompile(`^ARI (\d\.\d+) \(adjusted Rand index`).FindStringSubmatch(score)
	if m == nil {
		t.Fatalf("score printed %q", score)
	}
	if ari, _ := strconv.ParseFloat(m[1], 64); !(ari > 0.9) || math.IsNaN(ari) {
		t.Errorf("ARI %v on three well separated clusters", ari)
	}
}

// namedList is how the summary names ids: quoted, in parentheses.
func namedList(ids []string) string {
	if len(ids) == 0 {
		return ""
	}
	quoted := make([]string, len(ids))
	for i, id := range ids {
		quoted[i] = strconv.Quote(id)
	}
	return " (" + strings.Join(quoted, ", ") + ")"
}

// docs/library.md tells another module to go get this module's own path,
// and every package it imports exists.
func TestLibraryPageNamesThisModule(t *testing.T) {
	page, err := os.ReadFile(filepath.Join("..", "..", "docs", "library.md"))
	if err != nil {
		t.Fatal(err)
	}
	gomod, err := os.ReadFile(filepath.Join("..", "..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	module := regexp.MustCompile(`(?m)^module (\S+)`).FindSubmatch(gomod)
	get := regexp.MustCompile("go get (\\S+)@").FindSubmatch(page)
	var imports []string
	for _, block := range regexp.MustCompile(`(?s)import (?:"[^"]+"|\(.*?\))`).FindAll(page, -1) {
		for _, m := range regexp.MustCompile(`"(\S+)"`).FindAllSubmatch(block, -1) {
			imports = append(imports, string(m[1]))
		}
	}
	if module == nil || get == nil || string(get[1]) != string(module[1]) {
		t.Fatalf("docs/library.md: go get %q, module %q", get, module)
	}
	if len(imports) == 0 {
		t.Fatal("docs/library.md imports nothing")
	}
	for _, imp := range imports {
		if !strings.HasPrefix(imp, string(module[1])+"/") {
			t.Errorf("docs/library.md imports %q, outside the module", imp)
			continue
		}
		pkg := strings.TrimPrefix(imp, string(module[1])+"/")
		if _, err := os.Stat(filepath.Join("..", "..", pkg)); err != nil {
			t.Errorf("docs/library.md imports %s: %v", imp, err)
		}
	}
}
