package features

import (
	"errors"
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
		{"word in the data", "1,2\n3,x\n", "", `column 1 holds text, not numbers ("x" on line 2)`},
		{"header only", "a,b\n", "", "no observations"},
		{"empty", "", "", "no rows"},
		{"unknown label column", "a,b\n1,2\n", "c", "label column"},
		{"label not an integer", "a,b\n1,2.5\n", "b", "not an integer"},
		{"only a label", "a\n1\n", "a", "no feature columns"},
		{"empty cell", "a,b\n1,\n2,3\n", "", "NaN or infinite"},
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

// The separator is found from the first lines, as spreadsheets and pandas
// find it: comma, semicolon (with decimal commas), tab, or blanks.
func TestParseTableDetectsTheSeparator(t *testing.T) {
	for _, c := range []struct {
		name, text string
		sep        rune
		want       [][]float64
	}{
		{"comma", "x,y\n1,2\n3,4\n", ',', [][]float64{{1, 2}, {3, 4}}},
		{"semicolon", "x;y\n1;2\n3;4\n", ';', [][]float64{{1, 2}, {3, 4}}},
		{"semicolon, decimal commas", "x;y\n1,5;2\n3;4,25\n", ';', [][]float64{{1.5, 2}, {3, 4.25}}},
		{"tab", "x\ty\n1\t2\n3\t4\n", '\t', [][]float64{{1, 2}, {3, 4}}},
		{"blanks", "x  y\n 1 2\n3   4\n", ' ', [][]float64{{1, 2}, {3, 4}}},
		{"quoted header with a comma", "\"a,b\";c\n1;2\n", ';', [][]float64{{1, 2}}},
		{"CRLF and a byte order mark", "\ufeffx,y\r\n1,2\r\n", ',', [][]float64{{1, 2}}},
	} {
		tab, err := ParseTable(strings.NewReader(c.text), TableOptions{})
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if tab.Separator != c.sep {
			t.Errorf("%s: separator %q, want %q", c.name, tab.Separator, c.sep)
		}
		for i := range c.want {
			if !slices.Equal(tab.X.RawRowView(i), c.want[i]) {
				t.Errorf("%s: row %d is %v, want %v", c.name, i, tab.X.RawRowView(i), c.want[i])
			}
		}
	}
}

// A semicolon table with a label column by name: the separator is not
// mistaken for part of one column's name.
func TestParseTableLabelOfASemicolonTable(t *testing.T) {
	tab, err := ParseTable(strings.NewReader("x;y;label\n1;2;0\n3;4;1\n"), TableOptions{LabelColumn: "label"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(tab.Labels, []int{0, 1}) || !slices.Equal(tab.Features, []string{"x", "y"}) {
		t.Errorf("labels %v, features %v", tab.Labels, tab.Features)
	}
}

// Several columns can be left out, by name or index, besides the label;
// a text column left in is refused by its name, and its first value does
// not make the first line a header.
func TestParseTableIgnoresColumnsAndNamesTextOnes(t *testing.T) {
	text := "site,x,y,label,id\nnorth,1,2,0,7\nsouth,3,4,1,8\n"
	tab, err := ParseTable(strings.NewReader(text), TableOptions{LabelColumn: "label", Ignore: []string{"site", "4"}})
	if err != nil {
		t.Fatal(err)
	}
	if n, d := tab.X.Dims(); n != 2 || d != 2 || !slices.Equal(tab.Features, []string{"x", "y"}) || !tab.HasHeader {
		t.Errorf("%dx%d, features %v, header %v", n, d, tab.Features, tab.HasHeader)
	}
	_, err = ParseTable(strings.NewReader(text), TableOptions{LabelColumn: "label"})
	var textErr *TextColumnError
	if !errors.As(err, &textErr) || textErr.Column != "site" || textErr.Line != 2 || textErr.Value != "north" ||
		!strings.Contains(err.Error(), `column "site" (column 0) holds text`) {
		t.Errorf("text column: %v", err)
	}
	_, err = ParseTable(strings.NewReader("north,1\nsouth,2\n"), TableOptions{})
	if !errors.As(err, &textErr) || textErr.Line != 1 || textErr.Column != "column 0" {
		t.Errorf("text column without a header: %v", err)
	}
	_, err = ParseTable(strings.NewReader(text), TableOptions{Ignore: []string{"nope"}})
	if err == nil || !strings.Contains(err.Error(), `ignored column "nope" is neither a header name (site, x, y, label, id)`) {
		t.Errorf("unknown ignored column: %v", err)
	}
}
