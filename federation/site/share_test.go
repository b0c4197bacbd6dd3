package site

import (
	"testing"

	"gonum.org/v1/gonum/mat"
)

// The shares of one seed hold every row once; a bad spec is refused.
func TestSharesPartitionTheRows(t *testing.T) {
	X := mat.NewDense(10, 1, nil)
	for i := 0; i < 10; i++ {
		X.Set(i, 0, float64(i))
	}
	seen := map[float64]int{}
	for _, spec := range []string{"0/3", "1/3", "2/3"} {
		part, err := Share(X, spec, 7)
		if err != nil {
			t.Fatal(err)
		}
		for r := 0; r < part.RawMatrix().Rows; r++ {
			seen[part.At(r, 0)]++
		}
	}
	if len(seen) != 10 {
		t.Errorf("rows seen: %v", seen)
	}
	for _, v := range seen {
		if v != 1 {
			t.Errorf("rows seen: %v", seen)
		}
	}
	for _, bad := range []string{"3/3", "-1/3", "1", "a/b", "0/0"} {
		if _, err := Share(X, bad, 7); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
