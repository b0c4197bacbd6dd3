package eval

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/nistgmm/nistgmm/federated/mixture"
)

func TestARIHandWorked(t *testing.T) {
	cases := []struct {
		a, b []int
		want float64
	}{
		{[]int{0, 0, 1, 1}, []int{0, 0, 1, 1}, 1},
		{[]int{0, 0, 1, 1}, []int{5, 5, 3, 3}, 1},       // label permutation
		{[]int{0, 0, 1, 2, 2}, []int{2, 2, 0, 1, 1}, 1}, // permutation, 3 clusters
		// Joint counts (0,0):2, (0,1):1, (1,1):1 give index 1; a's sizes
		// 3,1 give 3; b's sizes 2,2 give 2; expected 3*2/6 = 1, max 2.5:
		// (1-1)/(2.5-1) = 0.
		{[]int{0, 0, 0, 1}, []int{0, 0, 1, 1}, 0},
		// a = {1,2,3},{4,5,6}; b = {1,2},{3,4},{5,6}: index 2, sum_a 6, sum_b 3,
		// expected 6*3/15 = 1.2, max 4.5: (2-1.2)/(4.5-1.2) = 0.8/3.3.
		{[]int{0, 0, 0, 1, 1, 1}, []int{0, 0, 1, 1, 2, 2}, 0.8 / 3.3},
	}
	for i, c := range cases {
		got, err := ARI(c.a, c.b)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got-c.want) > 1e-12 {
			t.Errorf("case %d: ARI = %v, want %v", i, got, c.want)
		}
	}
	if _, err := ARI([]int{1}, []int{1, 2}); err == nil {
		t.Error("mismatched lengths accepted")
	}
}

func TestW1HandSolved2x2(t *testing.T) {
	id := func(v float64) *mat.SymDense { return mat.NewSymDense(1, []float64{v}) }
	// Components at 0 and 10 (variance 1) against 1 and 10 (variances 1, 4).
	a := &mixture.Mixture{Weights: []float64{0.5, 0.5}, Means: [][]float64{{0}, {10}}, Covs: []*mat.SymDense{id(1), id(1)}}
	b := &mixture.Mixture{Weights: []float64{0.3, 0.7}, Means: [][]float64{{1}, {10}}, Covs: []*mat.SymDense{id(1), id(4)}}
	// D1: (0->1) 1, (0->10) 10+1 = 11, (10->1) 9, (10->10) |1-2| = 1.
	// Optimal: 0.3 from 0 to 1 (cost 0.3), 0.2 from 0 to 10 (2.2),
	// 0.5 from 10 to 10 (0.5): total 3.0. The alternative of sending mass
	// from 10 to 1 costs 9 a unit and is worse.
	got, err := W1(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(got-3.0) > 1e-9 {
		t.Fatalf("W1 = %v, want 3.0", got)
	}
	if self, err := W1(a, a); err != nil || math.Abs(self) > 1e-9 {
		t.Fatalf("W1(a, a) = %v", self)
	}
}

func TestComponentDistanceUsesMatrixSquareRoots(t *testing.T) {
	// sqrt(diag(4, 9)) - sqrt(diag(1, 1)) = diag(1, 2): Frobenius sqrt(5).
	got, err := ComponentDistance([]float64{0, 0}, mat.NewSymDense(2, []float64{4, 0, 0, 9}),
		[]float64{3, 4}, mat.NewSymDense(2, []float64{1, 0, 0, 1}))
	if err != nil {
		t.Fatal(err)
	}
	if want := 5 + math.Sqrt(5); math.Abs(got-want) > 1e-12 {
		t.Fatalf("D1 = %v, want %v", got, want)
	}
}

func TestDetection(t *testing.T) {
	d := Detect([]int{0, 1, 7}, []int{0, 1, 2, 3})
	if d.TruePositives != 2 || d.FalsePositives != 1 || d.FalseNegatives != 2 {
		t.Fatalf("%+v", d)
	}
	if d.Precision() != 2.0/3 || d.Recall() != 0.5 {
		t.Fatalf("precision %v recall %v", d.Precision(), d.Recall())
	}
	if none := Detect(nil, nil); none.Precision() != 1 || none.Recall() != 1 {
		t.Fatal("empty detection should be perfect")
	}
}
