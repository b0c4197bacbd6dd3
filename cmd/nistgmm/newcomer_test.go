package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nistgmm/nistgmm/dataset"
	"github.com/nistgmm/nistgmm/features"
	"github.com/nistgmm/nistgmm/federated/estimates"
)

// A mistyped flag gets one short error with the closest flag, not the
// whole usage.
func TestMistypedFlagSuggestsTheClosest(t *testing.T) {
	for _, c := range []struct {
		cmd  func(context.Context, []string) error
		args []string
		want string
	}{
		{cmdRun, []string{"--alpah", "0.3"}, "did you mean --alpha?"},
		{cmdReproduce, []string{"--rep", "3"}, "did you mean --reps?"},
		{cmdAggregate, []string{"--estimtes", "x"}, "did you mean --estimates?"},
		{cmdRun, []string{"--zzzzzz"}, "unknown flag --zzzzzz (nistgmm run -h"},
	} {
		err := c.cmd(context.Background(), c.args)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want %q", c.args, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "usage") {
			t.Errorf("%v: the error holds the usage", c.args)
		}
	}
}

func TestVersionSaysWhatABugReportNeeds(t *testing.T) {
	v := versionText()
	for _, want := range []string{"nistgmm ", "revision", "go1.", "linear algebra: ", "Cholesky kernels of ISE and CS: ", "onnxruntime", "CNN: built-in models/cnn.onnx, sha256 "} {
		if !strings.Contains(v, want) {
			t.Errorf("version lacks %q:\n%s", want, v)
		}
	}
}

// Letter classes are accepted by name; absent ones are named, with the
// classes the source does hold, and no output folder is left behind.
func TestLetterClassesByNameAndAbsentOnesNamed(t *testing.T) {
	got, err := dataset.ParseClasses("A,E,I,O,U")
	if err != nil || string(got) != "AEIOU" {
		t.Fatalf("ParseClasses(A,E,I,O,U) = %q, %v", got, err)
	}
	if got, err := dataset.ParseClasses("A-C,61"); err != nil || string(got) != "ABCa" {
		t.Errorf("ParseClasses(A-C,61) = %q, %v", got, err)
	}
	const vowels = "../../../shared/data/sd19-vowels"
	if _, err := os.Stat(vowels); err != nil {
		t.Skipf("the SD19 vowels are not here (%v): the extraction half of this test needs them", err)
	}
	out := filepath.Join(t.TempDir(), "feats")
	err = cmdExtract(context.Background(), []string{"--letters", vowels, "--limit", "10", "--out", out})
	if err == nil || !strings.Contains(err.Error(), "B (42)") || !strings.Contains(err.Error(), "--letter-classes A,E,I,O,U") {
		t.Errorf("default classes A-J on the vowels: %v, want B named and the vowels suggested", err)
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("a refused extraction left %s behind", out)
	}
}

// An id that appears twice is ambiguous: every entry with it is excluded.
func TestDuplicateIDsExcludeEveryEntry(t *testing.T) {
	doc := `{"format": "nistgmm/estimates/v1", "machines": [
	 {"id": "a", "n": 10, "weights": [1], "means": [[0]], "covariances": [[[1]]]},
	 {"id": "b", "n": 10, "weights": [1], "means": [[0.1]], "covariances": [[[1]]]},
	 {"id": "a", "n": 10, "weights": [1], "means": [[5]], "covariances": [[[1]]]}]}`
	ests, err := estimates.DecodeEstimates(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{0, 2} {
		if !strings.Contains(ests[i].Malformed, `id "a" appears 2 times`) {
			t.Errorf("entry %d: %q", i, ests[i].Malformed)
		}
	}
	if ests[1].Malformed != "" {
		t.Errorf("entry 1 excluded: %s", ests[1].Malformed)
	}
}

// Without a majority shape the server refuses, and a declared shape is
// followed; half the machines are never dropped silently.
func TestShapeTieIsRefused(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"format": "nistgmm/estimates/v1", "machines": [`)
	for i := 0; i < 6; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		if i < 3 {
			fmt.Fprintf(&b, `{"id": "x%d", "n": 10, "weights": [1], "means": [[%d]], "covariances": [[[1]]]}`, i, i)
		} else {
			fmt.Fprintf(&b, `{"id": "y%d", "n": 10, "weights": [1], "means": [[%d, 0]], "covariances": [[[1, 0], [0, 1]]]}`, i, i)
		}
	}
	b.WriteString("]}")
	path := filepath.Join(t.TempDir(), "est.json")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	err := cmdAggregate(context.Background(), []string{"--estimates", path, "--out", path + ".out"})
	if err == nil || !strings.Contains(err.Error(), "no shape is shared by more than half") {
		t.Errorf("tie: %v", err)
	}
	if err := cmdAggregate(context.Background(), []string{"--estimates", path, "--d", "2", "--method", "cred", "--out", path + ".out"}); err != nil {
		t.Errorf("declared d = 2: %v", err)
	}
}

func TestIDsAreEscapedInMessages(t *testing.T) {
	id := "evil\x1b[2J\r\nnistgmm: all machines honest\x00" + strings.Repeat("x", 200)
	q := estimates.QuoteID(id)
	if strings.ContainsAny(q, "\x1b\r\n\x00") || len(q) > 4*estimates.MaxIDLength+5 || !strings.HasSuffix(q, "...") {
		t.Errorf("QuoteID(%q) = %q", id, q)
	}
}

// NaN rows in the features are refused where they are read, by run and
// by score, naming the file and the rows.
func TestNonFiniteFeaturesAreRefusedByTheCommands(t *testing.T) {
	dir := syntheticFeatures(t)
	X, y, err := features.ReadSet(dir, features.DigitsTest)
	if err != nil {
		t.Fatal(err)
	}
	n, d := X.Dims()
	feats := make([]float32, 0, n*d)
	for i := 0; i < n; i++ {
		for j := 0; j < d; j++ {
			feats = append(feats, float32(X.At(i, j)))
		}
	}
	feats[7*d+3] = float32(math.NaN())
	if err := features.WriteSet(dir, features.DigitsTest, feats, y); err != nil {
		t.Fatal(err)
	}
	err = cmdRun(context.Background(), []string{"--features", dir, "--machines", "3", "--n-total", "900", "--restarts", "1"})
	if err == nil || !strings.Contains(err.Error(), "rows 7") || !strings.Contains(err.Error(), "digits-test.npy") {
		t.Errorf("run on NaN test features: %v", err)
	}
}

// Infeasible machine counts are refused in one message before anything is
// loaded (the features folder does not exist).
func TestInfeasibleSplitIsOneMessage(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nowhere")
	err := cmdRun(context.Background(), []string{"--features", dir, "--machines", "90", "--n-total", "900"})
	if err == nil || strings.Count(err.Error(), "\n") > 0 || !strings.Contains(err.Error(), "10 observations per machine") {
		t.Errorf("90 machines of 10 observations in d = 50: %v", err)
	}
}

// run --json names machines as the text does and says auto for the
// penalty chosen per machine.
func TestRunJSONNamesMachines(t *testing.T) {
	dir := syntheticFeatures(t)
	out := captureStdout(t, func() {
		if err := cmdRun(context.Background(), []string{"--features", dir, "--machines", "3", "--n-total", "900",
			"--alpha", "0.34", "--restarts", "1", "--json"}); err != nil {
			t.Fatal(err)
		}
	})
	var doc struct {
		Config   map[string]any    `json:"config"`
		Features map[string]string `json:"features"`
		Result   struct {
			Byzantine []string `json:"byzantine"`
			Coat      string   `json:"coat"`
			Methods   []struct {
				Kept []string `json:"kept"`
			} `json:"methods"`
		} `json:"result"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if doc.Config["penalty_scale"] != "auto" || doc.Features["folder"] != dir || doc.Features["model_sha256"] != "synthetic" {
		t.Errorf("config %v, features %v", doc.Config["penalty_scale"], doc.Features)
	}
	if len(doc.Result.Byzantine) != 1 || !strings.HasPrefix(doc.Result.Byzantine[0], "m0") || !strings.HasPrefix(doc.Result.Coat, "m0") {
		t.Errorf("machines named %v, COAT %q", doc.Result.Byzantine, doc.Result.Coat)
	}
}

// explore draws the embedding (and, without image sources, says why there
// are no examples) into the folder asked for.
func TestExploreDrawsTheEmbedding(t *testing.T) {
	dir := syntheticFeatures(t)
	out := filepath.Join(t.TempDir(), "fig6")
	if err := cmdExplore(context.Background(), []string{"--features", dir, "--out", out, "--n", "60", "--perplexity", "5",
		"--iterations", "50"}); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(filepath.Join(out, "embedding.png")); err != nil || st.Size() < 1000 {
		t.Errorf("embedding.png: %v", err)
	}
	if err := cmdExplore(context.Background(), []string{"--features", dir, "--out", out, "--n", "60", "--perplexity", "30"}); err == nil {
		t.Error("perplexity 30 with 60 points accepted")
	}
}

// fit-local and score read CSV tables with the same validation as .npy.
func TestFitLocalAndScoreReadCSV(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("x,y,label\n")
	for i := 0; i < 200; i++ {
		fmt.Fprintf(&b, "%g,%g,%d\n", float64(8*(i%2))+math.Sin(float64(i)), math.Cos(float64(3*i)), i%2)
	}
	data := filepath.Join(dir, "m.csv")
	if err := os.WriteFile(data, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	est := filepath.Join(dir, "est.json")
	for _, id := range []string{"a", "b", "c"} {
		if err := cmdFitLocal(context.Background(), []string{"--data", data, "--label-column", "label", "--k", "2", "--id", id, "--out", est}); err != nil {
			t.Fatal(err)
		}
	}
	agg := filepath.Join(dir, "agg.json")
	if err := cmdAggregate(context.Background(), []string{"--estimates", est, "--method", "gmr", "--out", agg}); err != nil {
		t.Fatal(err)
	}
	out := captureStdout(t, func() {
		if err := cmdScore(context.Background(), []string{"--mixture", agg, "--features", data, "--label-column", "label"}); err != nil {
			t.Fatal(err)
		}
	})
	if !strings.HasPrefix(out, "ARI 1.000000 (adjusted Rand index") {
		t.Errorf("ARI %q, want 1.000000 on two separated classes", out)
	}
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("x,y\n1,2\nNaN,3\n"), 0o644)
	if err := cmdFitLocal(context.Background(), []string{"--data", bad, "--k", "1", "--id", "z", "--out", est}); err == nil ||
		!strings.Contains(err.Error(), "NaN or infinite") {
		t.Errorf("NaN in a CSV: %v", err)
	}
}

// --quiet silences progress: parseFlags sets quietProgress, which newBar
// and newWorkBar pass on (the reports themselves are tested in
// internal/progress).
func TestQuietFlagSilencesProgress(t *testing.T) {
	defer func() { quietProgress = false }()
	fs := newFlagSet("run", "")
	if err := parseFlags(fs, []string{"--quiet"}); err != nil || !quietProgress {
		t.Errorf("--quiet: %v, quiet %v", err, quietProgress)
	}
	fs = newFlagSet("run", "")
	if err := parseFlags(fs, nil); err != nil || quietProgress {
		t.Errorf("no --quiet: %v, quiet %v", err, quietProgress)
	}
}

// The CNN is built in: loading it needs no file, from any directory.
func TestBuiltInModelLoadsFromAnyDirectory(t *testing.T) {
	lib, err := features.FindLibrary()
	if err != nil {
		t.Skipf("onnxruntime is not installed here (%v): run make setup", err)
	}
	// The binary finds lib/ next to itself; a test binary lives elsewhere.
	t.Setenv("ONNXRUNTIME_LIB", lib)
	wd, _ := os.Getwd()
	t.Chdir(t.TempDir())
	m, err := loadModel("")
	if err != nil {
		t.Fatalf("built-in model from %s: %v", wd, err)
	}
	defer m.Close()
	if m.Path != builtinModel || len(m.SHA256) != 64 {
		t.Errorf("model %q, sha256 %q", m.Path, m.SHA256)
	}
}

// fit-local says why a fit cannot work instead of what failed inside.
func TestFitLocalSaysWhyAFitCannotWork(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	for i := 0; i < 5; i++ {
		fmt.Fprintf(&b, "%d,%d,%d,%d,%d,%d\n", i, i*i, i+1, 2*i, i%3, i%2)
	}
	small := filepath.Join(dir, "small.csv")
	os.WriteFile(small, []byte(b.String()), 0o644)
	err := cmdFitLocal(context.Background(), []string{"--data", small, "--k", "2", "--id", "a", "--out", filepath.Join(dir, "e.json")})
	if err == nil || !strings.Contains(err.Error(), "5 observations in dimension 6: too few") {
		t.Errorf("5 rows in d = 6: %v", err)
	}
	var c strings.Builder
	for i := 0; i < 100; i++ {
		fmt.Fprintf(&c, "%g\n", math.Sin(float64(i)))
	}
	one := filepath.Join(dir, "one.csv")
	os.WriteFile(one, []byte(c.String()), 0o644)
	est := filepath.Join(dir, "e.json")
	if err := cmdFitLocal(context.Background(), []string{"--data", one, "--k", "1", "--id", "a", "--out", est}); err != nil {
		t.Fatal(err)
	}
	var two strings.Builder
	for i := 0; i < 100; i++ {
		fmt.Fprintf(&two, "%g,%g\n", math.Sin(float64(i)), math.Cos(float64(i)))
	}
	twoPath := filepath.Join(dir, "two.csv")
	os.WriteFile(twoPath, []byte(two.String()), 0o644)
	err = cmdFitLocal(context.Background(), []string{"--data", twoPath, "--k", "1", "--id", "b", "--out", est})
	if err == nil || !strings.Contains(err.Error(), "in dimension 1; this one would be order 1 in dimension 2") {
		t.Errorf("a d = 2 machine added to a d = 1 file: %v", err)
	}
}

// A merge error names the problem once, without a repeated prefix.
func TestMergeErrorsSayMergeOnce(t *testing.T) {
	err := cmdMerge(context.Background(), []string{"--out", t.TempDir(), t.TempDir()})
	if err == nil || strings.HasPrefix(err.Error(), "merge:") {
		t.Errorf("merge of an empty folder: %v", err)
	}
}
