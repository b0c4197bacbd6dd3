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

// InvertAll's inverses are NewGaussian's bit for bit, computed from light
// components (no factorizations) through one reused factor buffer, of
// several dimensions in one call; a component with its inverse is returned
// as it is.
func TestInvertAllSameBitsAsNewGaussian(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var light, full []*Gaussian
	for _, d := range []int{3, 12, 5, 30} {
		a := mat.NewDense(d+2, d, nil)
		for i := 0; i < d+2; i++ {
			for j := 0; j < d; j++ {
				a.Set(i, j, rng.NormFloat64())
			}
		}
		cov := mat.NewSymDense(d, nil)
		cov.SymOuterK(1, a.T())
		mean := make([]float64, d)
		g, err := NewGaussian(mean, cov)
		if err != nil {
			t.Fatal(err)
		}
		full = append(full, g)
		light = append(light, g.Light())
	}
	got, err := InvertAll(append(light, full[0]))
	if err != nil {
		t.Fatal(err)
	}
	for k, g := range full {
		if got[k].Upper.Data != nil {
			t.Errorf("component %d kept a Cholesky factor", k)
		}
		for i := range g.Inv {
			if math.Float64bits(got[k].Inv[i]) != math.Float64bits(g.Inv[i]) {
				t.Fatalf("component %d: inverse entry %d is %v, NewGaussian's %v", k, i, got[k].Inv[i], g.Inv[i])
			}
		}
	}
	if got[len(full)] != full[0] {
		t.Error("a component with its inverse was not returned as it is")
	}
}
