package chol4

import "golang.org/x/sys/cpu"

func init() {
	switch {
	case cpu.X86.HasAVX2 && cpu.X86.HasFMA:
		kernels = avx2Kernels
	case !cpu.X86.HasFMA:
		kernels = unfusedKernels
	}
}

var avx2Kernels = kernelSet{name: "avx2", factor: factorAVX2, addBroadcast: addBroadcastAVX2}

// The assembly reads and writes exactly what the generic kernels do, inside
// the slices Factor and AddBroadcast checked.

func factorAVX2(a []float64, d int) [Lanes]bool {
	_ = a[Lanes*Len(d)-1]
	mask := factorAsm(&a[0], d)
	var ok [Lanes]bool
	for k := range ok {
		ok[k] = mask&(1<<k) != 0
	}
	return ok
}

func addBroadcastAVX2(dst, x, y []float64) {
	n := len(x)
	_, _ = dst[Lanes*n-1], y[Lanes*n-1]
	addBroadcastAsm(&dst[0], &x[0], &y[0], n)
}

// factorAsm is factorGeneric on four-wide registers; bit k of the result is
// lane k's ok.
//
//go:noescape
func factorAsm(a *float64, d int) (okMask int)

//go:noescape
func addBroadcastAsm(dst, x, y *float64, n int)
