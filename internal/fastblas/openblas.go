//go:build cgo && !noopenblas

package fastblas

/*
#cgo LDFLAGS: -lopenblas
void openblas_set_num_threads(int num_threads);
char* openblas_get_corename(void);
*/
import "C"

import (
	"os"
	"sync"
	"syscall"

	"golang.org/x/sys/cpu"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/blas/gonum"
	"gonum.org/v1/netlib/blas/netlib"
)

// UseGonum switches back to gonum's pure-Go BLAS (for benchmarks that
// compare the two in one run).
func UseGonum() { blas64.Use(gonum.Implementation{}) }

// Enable routes gonum's BLAS calls to OpenBLAS with one thread and returns
// the name of the implementation in use.
//
// The first call may re-execute the program (same arguments, same
// environment plus OPENBLAS_CORETYPE) when OpenBLAS did not recognize the
// CPU: see CoreTypeFix. Call it first thing in main or TestMain.
func Enable() string {
	reexec.Do(func() {
		if core := CoreTypeFix(); core != "" {
			if exe, err := os.Executable(); err == nil {
				// Exec returns only on failure; the generic kernels then stay.
				_ = syscall.Exec(exe, os.Args, append(os.Environ(), "OPENBLAS_CORETYPE="+core))
			}
		}
	})
	C.openblas_set_num_threads(1)
	blas64.Use(netlib.Implementation{})
	return "openblas"
}

var reexec sync.Once

// CoreName returns the name of the kernel set OpenBLAS chose for this CPU.
func CoreName() string { return C.GoString(C.openblas_get_corename()) }

// CoreTypeFix returns the OPENBLAS_CORETYPE to run with, or "" when the
// kernels in use are right. OpenBLAS picks its kernels once, when it loads,
// and falls back to the generic SSE3 "Prescott" ones for a CPU model it
// does not know: Debian 12's OpenBLAS 0.3.21 does so on Sapphire Rapids,
// where its AVX2 "Haswell" kernels run the EM fits about 1.5 times faster
// (and faster than its AVX-512 "SkylakeX" ones, whose triangular solve is
// slow). A CPU with AVX2 and FMA reported as Prescott has been
// misdetected; an OPENBLAS_CORETYPE set by the user is always kept.
func CoreTypeFix() string {
	return chooseCoreType(os.Getenv("OPENBLAS_CORETYPE"), CoreName(), cpu.X86.HasAVX2, cpu.X86.HasFMA)
}
