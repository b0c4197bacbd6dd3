//go:build !amd64

package chol4

import (
	"runtime"

	"golang.org/x/sys/cpu"
)

// Go computes math.FMA with one instruction on these architectures, on
// 32-bit ARM with VFPv4, and in software elsewhere.
func init() {
	switch runtime.GOARCH {
	case "arm64", "loong64", "ppc64", "ppc64le", "riscv64", "s390x":
	case "arm":
		if !cpu.ARM.HasVFPv4 {
			kernels = unfusedKernels
		}
	default:
		kernels = unfusedKernels
	}
}
