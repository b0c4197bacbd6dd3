package chol4

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// randomSPD returns a random symmetric positive definite d x d matrix with
// eigenvalues spread over a few orders of magnitude.
func randomSPD(rng *rand.Rand, d int) *mat.SymDense {
	a := mat.NewDense(d, d, nil)
	for i := 0; i < d; i++ {
		for j := 0; j < d; j++ {
			a.Set(i, j, rng.NormFloat64()*math.Exp(rng.NormFloat64()))
		}
	}
	s := mat.NewSymDense(d, nil)
	s.SymOuterK(1, a)
	for i := 0; i < d; i++ {
		s.SetSym(i, i, s.At(i, i)+1e-3)
	}
	return s
}

// pack returns one system: the lower triangle of s row by row, then x.
func pack(s *mat.SymDense, x []float64) []float64 {
	d := s.SymmetricDim()
	var out []float64
	for i := 0; i < d; i++ {
		for j := 0; j <= i; j++ {
			out = append(out, s.At(i, j))
		}
	}
	return append(out, x...)
}

func randomBatch(rng *rand.Rand, d int) (batch []float64, systems [Lanes]*mat.SymDense, xs [Lanes][]float64) {
	var src [Lanes][]float64
	for k := range src {
		systems[k] = randomSPD(rng, d)
		xs[k] = make([]float64, d)
		for i := range xs[k] {
			xs[k][i] = rng.NormFloat64()
		}
		src[k] = pack(systems[k], xs[k])
	}
	batch = make([]float64, Lanes*Len(d))
	Interleave(batch, src)
	return batch, systems, xs
}

// using runs f with the kernels ks in place of this processor's.
func using(ks kernelSet, f func()) {
	saved := kernels
	kernels = ks
	defer func() { kernels = saved }()
	f()
}

func TestFactorMatchesCholesky(t *testing.T) {
	for _, ks := range kernelSets() {
		t.Run(ks.name, func(t *testing.T) { using(ks, func() { testFactorMatchesCholesky(t) }) })
	}
}

func testFactorMatchesCholesky(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, d := range []int{1, 2, 3, 4, 5, 7, 8, 9, 13, 50, 61} {
		batch, systems, xs := randomBatch(rng, d)
		ok, err := Factor(batch, d)
		if err != nil {
			t.Fatal(err)
		}
		logDet, quad := LogDetQuad(batch, d)
		for k := 0; k < Lanes; k++ {
			if !ok[k] {
				t.Fatalf("d=%d lane %d: positive definite system reported as not", d, k)
			}
			var ch mat.Cholesky
			if !ch.Factorize(systems[k]) {
				t.Fatalf("d=%d lane %d: gonum says not positive definite", d, k)
			}
			var l mat.TriDense
			ch.LTo(&l)
			for i := 0; i < d; i++ {
				for j := 0; j <= i; j++ {
					got := batch[Lanes*(i*(i+1)/2+j)+k]
					if want := l.At(i, j); math.Abs(got-want) > 1e-9*(1+math.Abs(want)) {
						t.Fatalf("d=%d lane %d: L[%d][%d] = %v, want %v", d, k, i, j, got, want)
					}
				}
			}
			var sol mat.VecDense
			if err := ch.SolveVecTo(&sol, mat.NewVecDense(d, xs[k])); err != nil {
				t.Fatal(err)
			}
			wantQuad := mat.Dot(&sol, mat.NewVecDense(d, xs[k]))
			if math.Abs(quad[k]-wantQuad) > 1e-8*(1+wantQuad) {
				t.Errorf("d=%d lane %d: quad %v, want %v", d, k, quad[k], wantQuad)
			}
			if want := ch.LogDet(); math.Abs(logDet[k]-want) > 1e-9*(1+math.Abs(want)) {
				t.Errorf("d=%d lane %d: log det %v, want %v", d, k, logDet[k], want)
			}
		}
	}
}

// TestKernelsAgree checks that every kernel with fused multiply-adds gives
// the generic kernels' results bit for bit, so that a factorization is the
// same on every machine that has them.
func TestKernelsAgree(t *testing.T) {
	fast := kernelSets()[0]
	if fast.name == genericKernels.name || fast.name == unfusedKernels.name {
		t.Skip("this processor has no kernels of its own: nothing to compare")
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for d := 1; d <= 40; d++ {
		batch, _, _ := randomBatch(rng, d)
		// Make one lane fail, to compare the failure path too.
		if d > 2 {
			batch[rowStart(d/2)+Lanes*(d/2)+1] = -1 // the pivot S_jj of lane 1, j = d/2
		}
		other := append([]float64(nil), batch...)
		okA := fast.factor(batch, d)
		okB := genericKernels.factor(other, d)
		if okA != okB {
			t.Fatalf("d=%d: lanes ok %v and %v", d, okA, okB)
		}
		for i := range batch {
			if math.Float64bits(batch[i]) != math.Float64bits(other[i]) {
				t.Fatalf("d=%d: entry %d is %v with the %s kernels, %v with the generic ones", d, i, batch[i], fast.name, other[i])
			}
		}
		x := make([]float64, Len(d))
		for i := range x {
			x[i] = rng.NormFloat64()
		}
		dstA, dstB := make([]float64, len(other)), make([]float64, len(other))
		fast.addBroadcast(dstA, x, other)
		genericKernels.addBroadcast(dstB, x, other)
		for i := range dstA {
			if dstA[i] != dstB[i] {
				t.Fatalf("AddBroadcast entry %d: %v and %v", i, dstA[i], dstB[i])
			}
		}
	}
}

// TestFailingLaneLeavesOthers checks that a system that is not positive
// definite (or holds an infinity or a NaN) is reported, and that the other
// lanes come out exactly as they would without it.
func TestFailingLaneLeavesOthers(t *testing.T) {
	for _, ks := range kernelSets() {
		t.Run(ks.name, func(t *testing.T) { using(ks, func() { testFailingLaneLeavesOthers(t) }) })
	}
}

func testFailingLaneLeavesOthers(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const d = 9
	clean, _, _ := randomBatch(rng, d)
	want := append([]float64(nil), clean...)
	if ok, _ := Factor(want, d); ok != [Lanes]bool{true, true, true, true} {
		t.Fatalf("clean batch: %v", ok)
	}
	for _, bad := range []float64{-1, 0, math.Inf(1), math.NaN()} {
		for lane := 0; lane < Lanes; lane++ {
			batch := append([]float64(nil), clean...)
			batch[rowStart(4)+Lanes*4+lane] = bad // the pivot S_44
			ok, err := Factor(batch, d)
			if err != nil {
				t.Fatal(err)
			}
			for k := 0; k < Lanes; k++ {
				if ok[k] != (k != lane) {
					t.Fatalf("pivot %v in lane %d: ok %v", bad, lane, ok)
				}
				if k == lane {
					continue
				}
				for e := 0; e < Len(d); e++ {
					if batch[Lanes*e+k] != want[Lanes*e+k] {
						t.Fatalf("pivot %v in lane %d changed lane %d", bad, lane, k)
					}
				}
			}
		}
	}
}

func TestFactorRejectsWrongLength(t *testing.T) {
	if _, err := Factor(make([]float64, Lanes*Len(3)-1), 3); err == nil {
		t.Error("a short batch was accepted")
	}
	if _, err := Factor(nil, 0); err == nil {
		t.Error("dimension 0 was accepted")
	}
}

// BenchmarkFactor50 factors four 50 x 50 systems and reads their log
// determinants and quadratic forms, with each kernel set this processor can
// run, against gonum's Cholesky of the four, in the same command
// (go test -bench Factor50).
func BenchmarkFactor50(b *testing.B) {
	rng := rand.New(rand.NewPCG(7, 8))
	const d = 50
	batch, systems, _ := randomBatch(rng, d)
	work := make([]float64, len(batch))
	for _, ks := range kernelSets() {
		b.Run(ks.name, func(b *testing.B) {
			using(ks, func() {
				for b.Loop() {
					copy(work, batch)
					if _, err := Factor(work, d); err != nil {
						b.Fatal(err)
					}
					LogDetQuad(work, d)
				}
			})
		})
	}
	b.Run("gonum", func(b *testing.B) {
		var ch mat.Cholesky
		for b.Loop() {
			for _, s := range systems {
				ch.Factorize(s)
			}
		}
	})
}
