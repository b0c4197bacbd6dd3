package features

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// Columns named like labels or ids are suspect; a message names the first
// six columns and counts the rest.
func TestSuspectAndDescribedColumns(t *testing.T) {
	tab := &Table{HasHeader: true, Features: []string{"x1", " Label", "x2", "ID", "x3", "x4", "x5", "x6"}}
	if got := tab.SuspectColumns(); !reflect.DeepEqual(got, []string{" Label", "ID"}) {
		t.Errorf("suspect %q", got)
	}
	if got := tab.DescribeColumns(); got != " (x1,  Label, x2, ID, x3, x4 and 2 more)" {
		t.Errorf("described %q", got)
	}
	if got := (&Table{Features: []string{"column 0"}}).DescribeColumns(); got != "" {
		t.Errorf("without a header: %q", got)
	}
}

// A table file is read as observations, leaving out its label column.
func TestReadObservationsOrSetReadsATable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.csv")
	os.WriteFile(path, []byte("a,label,b\n1,0,2\n3,1,4\n5,0,6\n"), 0o644)
	X, err := ReadObservationsOrSet(path, "label")
	if err != nil {
		t.Fatal(err)
	}
	if n, d := X.Dims(); n != 3 || d != 2 || X.At(2, 1) != 6 {
		t.Errorf("%d x %d, last %v", n, d, X.At(2, 1))
	}
	if _, err := ReadObservationsOrSet(filepath.Join(t.TempDir(), "none.csv"), ""); err == nil {
		t.Error("a missing file read")
	}
}
