package features

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestParseCSVReadsHeadersDelimitersAndLabels(t *testing.T) {
	for _, c := range []struct {
		name, text, label string
		want              [][]float64
		labels            []int
	}{
		{"comma, no header", "1,2\n3,4.5\n", "", [][]float64{{1, 2}, {3, 4.5}}, nil},
		{"tab, header, label by name", "x\ty\tdigit\n1\t2\t7\n3\t4\t1\n", "digit", [][]float64{{1, 2}, {3, 4}}, []int{7, 1}},
		{"comma, label by index", "5,1,2\n6,3,4\n", "0", [][]float64{{1, 2}, {3, 4}}, []int{5, 6}},
		{"spaces after commas", "a, b\n1, 2\n", "", [][]float64{{1, 2}}, nil},
	} {
		X, y, err := ParseCSV(strings.NewReader(c.text), c.label)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		n, d := X.Dims()
		if n != len(c.want) || d != len(c.want[0]) {
			t.Fatalf("%s: %dx%d, want %dx%d", c.name, n, d, len(c.want), len(c.want[0]))
		}
		for i := range c.want {
			if !slices.Equal(X.RawRowView(i), c.want[i]) {
				t.Errorf("%s: row %d is %v, want %v", c.name, i, X.RawRowView(i), c.want[i])
			}
		}
		if !slices.Equal(y, c.labels) {
			t.Errorf("%s: labels %v, want %v", c.name, y, c.labels)
		}
	}
}

func TestParseCSVRefusesWhatNPYRefuses(t *testing.T) {
	for _, c := range []struct{ name, text, label, want string }{
		{"ragged", "1,2\n3\n", "", "line 2 has 1 fields"},
		{"NaN", "1,2\nNaN,4\n", "", "NaN or infinite"},
		{"Inf", "1,2\n3,+Inf\n", "", "NaN or infinite"},
		{"word in the data", "1,2\n3,x\n", "", `"x" is not a number`},
		{"header only", "a,b\n", "", "no observations"},
		{"empty", "", "", "no rows"},
		{"unknown label column", "a,b\n1,2\n", "c", "label column"},
		{"label not an integer", "a,b\n1,2.5\n", "b", "not an integer"},
		{"only a label", "a\n1\n", "a", "no feature columns"},
	} {
		_, _, err := ParseCSV(strings.NewReader(c.text), c.label)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one mentioning %q", c.name, err, c.want)
		}
	}
}

// NaN rows in a .npy file are refused with their row numbers: they would
// silently lower every score computed from them.
func TestNonFiniteFeaturesAreRefused(t *testing.T) {
	dir := t.TempDir()
	feats := make([]float32, 4*Dim)
	feats[1*Dim+3] = float32(math.NaN())
	feats[3*Dim+6] = float32(math.Inf(1))
	if err := WriteSet(dir, "x", feats, []int{0, 1, 0, 1}); err != nil {
		t.Fatal(err)
	}
	_, _, err := ReadSet(dir, "x")
	if err == nil || !strings.Contains(err.Error(), "2 of 4 rows hold NaN or infinite values (rows 1, 3") ||
		!strings.Contains(err.Error(), filepath.Join(dir, "x.npy")) {
		t.Fatalf("error %v, want the file and rows 1 and 3 named", err)
	}
	path := filepath.Join(dir, "labels.csv")
	if err := os.WriteFile(path, []byte("digit\n3\n4\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if y, err := ReadLabelsFile(path); err != nil || !slices.Equal(y, []int{3, 4}) {
		t.Errorf("labels %v, %v", y, err)
	}
}
