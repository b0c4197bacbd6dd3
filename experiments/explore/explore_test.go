package explore

import (
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// The sample is half digits and half letters, drawn without replacement,
// and all digits when there are no letters.
func TestSampleFeatures(t *testing.T) {
	digits, letters := mat.NewDense(30, 2, nil), mat.NewDense(8, 2, nil)
	for i := 0; i < 30; i++ {
		digits.Set(i, 0, float64(i))
	}
	for i := 0; i < 8; i++ {
		letters.Set(i, 0, float64(100+i))
	}
	X, isLetter := SampleFeatures(digits, letters, 20, rand.New(rand.NewPCG(1, 2)))
	seen := map[float64]bool{}
	nl := 0
	for i, l := range isLetter {
		v := X.At(i, 0)
		if seen[v] || l != (v >= 100) {
			t.Fatalf("row %d: %v, letter %v", i, v, l)
		}
		seen[v] = true
		if l {
			nl++
		}
	}
	if len(isLetter) != 18 || nl != 8 {
		t.Errorf("%d rows, %d letters: want 10 digits and the 8 letters there are", len(isLetter), nl)
	}
	if X, isLetter := SampleFeatures(digits, nil, 20, rand.New(rand.NewPCG(1, 2))); X.RawMatrix().Rows != 20 || isLetter[19] {
		t.Errorf("without letters: %d rows", X.RawMatrix().Rows)
	}
}
