package gauss

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// A covariance stored in both triangles is factorized in its own storage,
// one stored in the upper triangle only in a copy; the numbers are the
// same bits either way.
func TestFullStorageIsSharedNotCopied(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	d := 7
	a0 := mat.NewDense(d, d, nil)
	for i := 0; i < d; i++ {
		for j := 0; j < d; j++ {
			a0.Set(i, j, rng.NormFloat64())
		}
	}
	upper := mat.NewSymDense(d, nil)
	upper.SymOuterK(1/float64(d), a0) // fills the upper triangle only
	fullData := make([]float64, d*d)
	for i := 0; i < d; i++ {
		for j := 0; j < d; j++ {
			fullData[i*d+j] = upper.At(i, j)
		}
	}
	full := mat.NewSymDense(d, fullData)
	mean := make([]float64, d)
	a, err := NewGaussian(mean, upper)
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewGaussian(mean, full)
	if err != nil {
		t.Fatal(err)
	}
	if &b.Cov[0] != &fullData[0] {
		t.Error("a covariance stored in both triangles was copied")
	}
	if &a.Cov[0] == &upper.RawSymmetric().Data[0] {
		t.Error("a covariance stored in one triangle was shared")
	}
	same := func(x, y []float64) bool {
		return slices.EqualFunc(x, y, func(u, v float64) bool { return math.Float64bits(u) == math.Float64bits(v) })
	}
	if !same(a.Cov, b.Cov) || !same(a.Upper.Data, b.Upper.Data) || !same(a.Inv, b.Inv) || a.LogDet != b.LogDet {
		t.Error("the factorizations of one covariance in two storages differ")
	}
	// Storage whose lower triangle is not the upper one's mirror is copied.
	fullData[d] = fullData[1] + 1
	c, err := NewGaussian(mean, full)
	if err != nil {
		t.Fatal(err)
	}
	if &c.Cov[0] == &fullData[0] || !same(c.Cov, a.Cov) {
		t.Error("a covariance with an unmirrored lower triangle was shared or read below the diagonal")
	}
}
