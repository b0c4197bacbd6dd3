package chol4

import (
	"fmt"
	"math"
)

// Lanes is the number of systems factored at once.
const Lanes = 4

// Kernels names the kernels this processor runs: "avx2" (amd64 with AVX2
// and FMA), "generic" (Go, with fused multiply-adds), or "generic-unfused"
// (Go, where fused multiply-adds are emulated in software).
func Kernels() string { return kernels.name }

// Len returns the number of entries of one system of dimension d: the packed
// lower triangle, d(d+1)/2 entries, and the right-hand side, d entries. A
// batch holds Lanes*Len(d) numbers.
func Len(d int) int { return d*(d+1)/2 + d }

// rowStart is the index in a batch of the first entry of row i (row d is
// the right-hand side).
func rowStart(i int) int { return Lanes * (i * (i + 1) / 2) }

// Factor factors the Lanes systems of dimension d held in a, in place: the
// lower triangle of each S becomes L with S = L L^T, and its right-hand side
// x becomes L^-1 x. It reports which lanes were positive definite with finite
// pivots. In a lane that was not, a failing pivot is replaced by 1 and the
// factorization goes on, so the lane holds garbage but never affects the
// others.
func Factor(a []float64, d int) (ok [Lanes]bool, err error) {
	if d < 1 || len(a) != Lanes*Len(d) {
		return ok, fmt.Errorf("chol4: %d numbers for dimension %d, want %d", len(a), d, Lanes*Len(d))
	}
	return kernels.factor(a, d), nil
}

// LogDetQuad returns, for each lane of a batch that Factor factored, log det
// S = 2 sum_j log L_jj and the quadratic form x^T S^-1 x = |L^-1 x|^2.
//
// The log determinant comes from the product of the pivots' mantissas and
// the sum of their exponents: one logarithm per lane, not d, and no overflow
// or underflow however large or small the pivots.
func LogDetQuad(a []float64, d int) (logDet, quad [Lanes]float64) {
	var mant [Lanes]float64
	var exp [Lanes]int
	for k := range mant {
		mant[k] = 1
	}
	for j := 0; j < d; j++ {
		diag := a[rowStart(j)+Lanes*j:][:Lanes]
		for k, l := range diag {
			m, e := math.Frexp(l)
			mant[k] *= m
			exp[k] += e
			if mant[k] < 0x1p-500 { // d factors of at least 1/2 each: keep it normal
				m, e := math.Frexp(mant[k])
				mant[k], exp[k] = m, exp[k]+e
			}
		}
	}
	y := a[rowStart(d):][:Lanes*d]
	for e := 0; e < d; e++ {
		for k := range quad {
			v := y[Lanes*e+k]
			quad[k] += v * v
		}
	}
	for k := range logDet {
		logDet[k] = 2 * (math.Log(mant[k]) + float64(exp[k])*math.Ln2)
	}
	return logDet, quad
}

// AddBroadcast sets dst[Lanes*e+k] = x[e] + y[Lanes*e+k] for every entry e
// of x and lane k: one system x added to each of the Lanes systems in y.
// dst and y have Lanes*len(x) entries.
func AddBroadcast(dst, x, y []float64) {
	n := len(x)
	if len(dst) != Lanes*n || len(y) != Lanes*n {
		panic(fmt.Sprintf("chol4: AddBroadcast of %d entries into %d from %d", n, len(dst), len(y)))
	}
	if n == 0 {
		return
	}
	kernels.addBroadcast(dst, x, y)
}

// Interleave sets dst[Lanes*e+k] = src[k][e]: Lanes systems of equal length
// stored side by side.
func Interleave(dst []float64, src [Lanes][]float64) {
	n := len(src[0])
	if len(dst) != Lanes*n {
		panic(fmt.Sprintf("chol4: Interleave of %d entries into %d", n, len(dst)))
	}
	for k, s := range src {
		if len(s) != n {
			panic(fmt.Sprintf("chol4: Interleave: lane %d has %d entries, lane 0 %d", k, len(s), n))
		}
		for e, v := range s {
			dst[Lanes*e+k] = v
		}
	}
}
