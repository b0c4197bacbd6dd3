package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nistgmm/nistgmm/dataset"
	"github.com/nistgmm/nistgmm/features"
	"github.com/nistgmm/nistgmm/federated/server"
)

// captureFile runs f with *file (os.Stdout or os.Stderr) sent to a pipe
// and returns what f wrote there; the pipe is drained while f runs, so
// long output cannot block it.
func captureFile(t *testing.T, file **os.File, f func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := *file
	*file = w
	got := make(chan string)
	go func() {
		b, _ := io.ReadAll(r)
		got <- string(b)
	}()
	defer func() {
		*file = old
	}()
	f()
	w.Close()
	*file = old
	return <-got
}

// siteCSV writes a semicolon-separated table as spreadsheets export it:
// a text column of site names, two features and an integer label.
func siteCSV(t *testing.T, dir string, site int) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("site;x;y;label\n")
	for i := 0; i < 300; i++ {
		fmt.Fprintf(&b, "north;%g;%g;%d\n", float64(8*(i%2))+math.Sin(float64(i+1000*site)), math.Cos(float64(3*i+site)), i%2)
	}
	path := filepath.Join(dir, fmt.Sprintf("site%02d.csv", site))
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// A text column is refused by its name with the flag that leaves it out;
// with it left out and the label named, two features are fitted, and the
// message says the shape fitted and where K came from.
func TestFitLocalReadsASpreadsheetTable(t *testing.T) {
	dir := t.TempDir()
	data := siteCSV(t, dir, 0)
	est := filepath.Join(dir, "est.json")
	err := cmdFitLocal(context.Background(), []string{"--data", data, "--id", "site00", "--out", est, "--label-column", "label"})
	if err == nil || !strings.Contains(err.Error(), `column "site" (column 0) holds text`) || !strings.Contains(err.Error(), "--ignore-columns site") {
		t.Fatalf("text column: %v", err)
	}
	msg := captureFile(t, &os.Stderr, func() {
		if err := cmdFitLocal(context.Background(), []string{"--data", data, "--id", "site00", "--out", est, "--k", "2",
			"--label-column", "label", "--ignore-columns", "site"}); err != nil {
			t.Fatal(err)
		}
	})
	if !strings.Contains(msg, "fitted K = 2 components (set by --k) to 300 observations x 2 features (x, y)") || strings.Contains(msg, "warning") {
		t.Errorf("fit-local said:\n%s", msg)
	}
}

// A label column left in is fitted, but never silently: a warning names
// it before the fit, and the message states d and that K is the default.
func TestFitLocalSaysALabelColumnWasFitted(t *testing.T) {
	dir := t.TempDir()
	data := siteCSV(t, dir, 0)
	msg := captureFile(t, &os.Stderr, func() {
		if err := cmdFitLocal(context.Background(), []string{"--data", data, "--id", "site00", "--out", filepath.Join(dir, "e.json"),
			"--ignore-columns", "site", "--restarts", "1"}); err != nil {
			t.Fatal(err)
		}
	})
	for _, want := range []string{`warning: column "label" of --data is used as a feature; if it holds labels pass --label-column label`,
		"fitted K = 10 components (the default; --k sets it) to 300 observations x 3 features (x, y, label)"} {
		if !strings.Contains(msg, want) {
			t.Errorf("fit-local said:\n%s\nwant %q", msg, want)
		}
	}
}

// --ignore-columns takes names and indices, comma-separated or repeated.
func TestIgnoreColumnsFlagRepeatsAndSplits(t *testing.T) {
	fs := newFlagSet("score", "")
	var tf tableFlags
	tf.register(fs, "")
	if err := parseFlags(fs, []string{"--ignore-columns", "site, id", "--ignore-columns", "3"}); err != nil {
		t.Fatal(err)
	}
	if got := tf.ignore.String(); got != "site,id,3" {
		t.Errorf("columns %q", got)
	}
}

// The summary names the flagged machines, escaped, and at most ten.
func TestAggregateSummaryNamesTheFlagged(t *testing.T) {
	rep := &server.Report{Method: server.ARED, Coat: "site01", CentreSearch: "exact", IDs: make([]string, 14)}
	rep.Flagged = []string{"site07", "evil\x1b[2J"}
	got := aggregateSummary(rep, "agg.json")
	if !strings.Contains(got, `flagged 2 ("site07", "evil\x1b[2J")`) {
		t.Errorf("summary %q", got)
	}
	rep.Flagged = nil
	for i := 0; i < 13; i++ {
		rep.Flagged = append(rep.Flagged, fmt.Sprintf("m%02d", i))
	}
	got = aggregateSummary(rep, "agg.json")
	if !strings.Contains(got, `flagged 13 ("m00", "m01", "m02", "m03", "m04", "m05", "m06", "m07", "m08", "m09", and 3 more)`) {
		t.Errorf("summary %q", got)
	}
}

// --pretty writes the same document, indented, with every covariance row
// on a line of its own.
func TestPrettyEstimatesAndReport(t *testing.T) {
	dir := t.TempDir()
	compact, pretty := filepath.Join(dir, "compact.json"), filepath.Join(dir, "pretty.json")
	for i, id := range []string{"a", "b", "c"} {
		data := siteCSV(t, dir, i)
		for _, out := range []string{compact, pretty} {
			args := []string{"--data", data, "--id", id, "--out", out, "--k", "2", "--label-column", "label", "--ignore-columns", "0", "--quiet"}
			if out == pretty {
				args = append(args, "--pretty")
			}
			captureFile(t, &os.Stderr, func() {
				if err := cmdFitLocal(context.Background(), args); err != nil {
					t.Fatal(err)
				}
			})
		}
	}
	c, _ := os.ReadFile(compact)
	p, _ := os.ReadFile(pretty)
	if bytes.Count(c, []byte("\n")) != 1 || bytes.Count(p, []byte("\n")) < 20 || !sameJSON(t, c, p) {
		t.Fatalf("compact (%d lines) and pretty (%d lines) differ:\n%s", bytes.Count(c, []byte("\n")), bytes.Count(p, []byte("\n")), p)
	}
	if !bytes.Contains(p, []byte("\n  \"machines\": [\n    {\n      \"id\": \"a\",")) || !bytes.Contains(p, []byte("\"covariances\": [\n        [\n          [0.")) {
		t.Errorf("pretty estimates:\n%s", p)
	}
	for _, flags := range [][]string{nil, {"--pretty"}} {
		out := filepath.Join(dir, fmt.Sprintf("agg%d.json", len(flags)))
		captureFile(t, &os.Stderr, func() {
			if err := cmdAggregate(context.Background(), append([]string{"--estimates", pretty, "--method", "gmr", "--out", out}, flags...)); err != nil {
				t.Fatal(err)
			}
		})
	}
	c, _ = os.ReadFile(filepath.Join(dir, "agg0.json"))
	p, _ = os.ReadFile(filepath.Join(dir, "agg1.json"))
	if bytes.Count(c, []byte("\n")) != 1 || !sameJSON(t, c, p) || !bytes.Contains(p, []byte("\n  \"kept\": [\"a\", \"b\", \"c\"],\n")) {
		t.Errorf("aggregate reports differ or are not indented:\n%s", p)
	}
}

func sameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatal(err)
	}
	xs, _ := json.Marshal(x)
	ys, _ := json.Marshal(y)
	return bytes.Equal(xs, ys)
}

// explore refuses a folder it cannot write in before reading anything
// (the features folder given does not exist), and reads the built-in
// digits wherever this machine keeps them, even from a manifest that
// recorded another machine's module cache path.
func TestExploreChecksOutFirstAndFindsBuiltInImages(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "a-file")
	os.WriteFile(file, nil, 0o644)
	err := cmdExplore(context.Background(), []string{"--features", filepath.Join(dir, "nowhere"), "--out", filepath.Join(file, "fig6")})
	if err == nil || !strings.HasPrefix(err.Error(), "--out:") {
		t.Errorf("--out under a file: %v", err)
	}
	if _, err := dataset.LocateMNIST(); err != nil {
		t.Skipf("the built-in MNIST is not here: %v", err)
	}
	feats := syntheticFeatures(t)
	man, err := features.ReadManifest(feats)
	if err != nil {
		t.Fatal(err)
	}
	man.Sets = []features.SetInfo{{Name: features.DigitsTrain, Partition: "train",
		Source: "/home/someone/go/pkg/mod/github.com/petar/!go!m!n!i!s!t@v0.0.0-20150704040519-3ad5ac6aa9ba/data/train-images-idx3-ubyte.gz"}}
	if err := features.WriteManifest(feats, man); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "fig6")
	msg := captureFile(t, &os.Stderr, func() {
		if err := cmdExplore(context.Background(), []string{"--features", feats, "--out", out, "--n", "60", "--perplexity", "5",
			"--iterations", "20", "--quiet"}); err != nil {
			t.Fatal(err)
		}
	})
	if _, err := os.Stat(filepath.Join(out, "examples.png")); err != nil || strings.Contains(msg, "warning") {
		t.Errorf("examples.png: %v; explore said:\n%s", err, msg)
	}
}
