package chol4

import "math"

// kernelSet is Factor's and AddBroadcast's work, without their checks. Every
// implementation gives the same results bit for bit.
type kernelSet struct {
	name         string
	factor       func(a []float64, d int) [Lanes]bool
	addBroadcast func(dst, x, y []float64)
}

// kernels is what this processor runs: the AVX2 kernels where available
// (kernels_amd64.go), else the generic ones, with fused multiply-adds where
// the processor has them (kernels_other.go) and with a multiply and an add
// where it has not.
var kernels = genericKernels

var (
	genericKernels = kernelSet{name: "generic", addBroadcast: addBroadcastGeneric,
		factor: func(a []float64, d int) [Lanes]bool { return factorGeneric(a, d, true) }}
	// unfusedKernels are for processors without fused multiply-adds,
	// where math.FMA is emulated in software, fifteen times slower than
	// a multiply and an add. Their results differ from the others' in
	// the last bits.
	unfusedKernels = kernelSet{name: "generic-unfused", addBroadcast: addBroadcastGeneric,
		factor: func(a []float64, d int) [Lanes]bool { return factorGeneric(a, d, false) }}
)

// factorGeneric is the factorization every implementation follows, step
// for step:
//
//   - the pivot of column j is v = S_jj - sum_{l<j} L_jl^2, the sum kept in
//     four partial sums (entry l into sum l mod 4) added as (s0+s1)+(s2+s3);
//     a pivot that is not positive and finite fails its lane and is
//     replaced by 1; L_jj = sqrt(v) and r = 1/L_jj;
//   - every row i > j (row d is the right-hand side), four rows at a time
//     while four remain and then one at a time, gets L_ij = (S_ij - sum_{l<j}
//     L_il L_jl) * r, the sum kept in two partial sums (entry l into sum
//     l mod 2) added as s0+s1 for the rows taken four at a time, and in
//     four, like the pivot, for the rows taken one at a time.
//
// Each partial sum grows by fused multiply-adds (by a multiply and an add
// when fused is false).
func factorGeneric(a []float64, d int, fused bool) [Lanes]bool {
	ok := [Lanes]bool{true, true, true, true}
	var recip [Lanes]float64
	for j := 0; j < d; j++ {
		pj := a[rowStart(j):]
		s := dot4(pj, pj, j, fused)
		diag := pj[Lanes*j : Lanes*j+Lanes]
		for k := range diag {
			v := diag[k] - s[k]
			if !(v > 0) || math.IsInf(v, 1) {
				ok[k] = false
				v = 1
			}
			l := math.Sqrt(v)
			diag[k] = l
			recip[k] = 1 / l
		}
		i := j + 1
		for ; i+4 <= d+1; i += 4 {
			for r := i; r < i+4; r++ {
				p := a[rowStart(r):]
				s := dot2(p, pj, j, fused)
				update(p[Lanes*j:Lanes*j+Lanes], &s, &recip)
			}
		}
		for ; i <= d; i++ {
			p := a[rowStart(i):]
			s := dot4(p, pj, j, fused)
			update(p[Lanes*j:Lanes*j+Lanes], &s, &recip)
		}
	}
	return ok
}

// update sets e = (e - s) * r, lane by lane.
func update(e []float64, s, r *[Lanes]float64) {
	for k := range e {
		e[k] = (e[k] - s[k]) * r[k]
	}
}

// dot4 is sum_{l<n} p[l] q[l], lane by lane, in four partial sums.
func dot4(p, q []float64, n int, fused bool) (s [Lanes]float64) {
	var s0, s1, s2, s3 [Lanes]float64
	l := 0
	for ; l+4 <= n; l += 4 {
		x, y := p[Lanes*l:Lanes*l+4*Lanes], q[Lanes*l:Lanes*l+4*Lanes]
		for k := 0; k < Lanes; k++ {
			s0[k] = madd(x[k], y[k], s0[k], fused)
			s1[k] = madd(x[Lanes+k], y[Lanes+k], s1[k], fused)
			s2[k] = madd(x[2*Lanes+k], y[2*Lanes+k], s2[k], fused)
			s3[k] = madd(x[3*Lanes+k], y[3*Lanes+k], s3[k], fused)
		}
	}
	parts := [4]*[Lanes]float64{&s0, &s1, &s2, &s3}
	for r := 0; l < n; l, r = l+1, r+1 {
		x, y := p[Lanes*l:Lanes*l+Lanes], q[Lanes*l:Lanes*l+Lanes]
		for k := 0; k < Lanes; k++ {
			parts[r][k] = madd(x[k], y[k], parts[r][k], fused)
		}
	}
	for k := range s {
		s[k] = (s0[k] + s1[k]) + (s2[k] + s3[k])
	}
	return s
}

// dot2 is sum_{l<n} p[l] q[l], lane by lane, in two partial sums.
func dot2(p, q []float64, n int, fused bool) (s [Lanes]float64) {
	var s0, s1 [Lanes]float64
	l := 0
	for ; l+2 <= n; l += 2 {
		x, y := p[Lanes*l:Lanes*l+2*Lanes], q[Lanes*l:Lanes*l+2*Lanes]
		for k := 0; k < Lanes; k++ {
			s0[k] = madd(x[k], y[k], s0[k], fused)
			s1[k] = madd(x[Lanes+k], y[Lanes+k], s1[k], fused)
		}
	}
	if l < n {
		x, y := p[Lanes*l:Lanes*l+Lanes], q[Lanes*l:Lanes*l+Lanes]
		for k := 0; k < Lanes; k++ {
			s0[k] = madd(x[k], y[k], s0[k], fused)
		}
	}
	for k := range s {
		s[k] = s0[k] + s1[k]
	}
	return s
}

// madd is x*y + s, fused (one rounding) or not (two).
func madd(x, y, s float64, fused bool) float64 {
	if fused {
		return math.FMA(x, y, s)
	}
	return float64(x*y) + s // the conversion forbids the compiler to fuse
}

func addBroadcastGeneric(dst, x, y []float64) {
	for e, v := range x {
		for k := 0; k < Lanes; k++ {
			dst[Lanes*e+k] = v + y[Lanes*e+k]
		}
	}
}
