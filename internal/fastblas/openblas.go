//go:build cgo && !noopenblas

package fastblas

/*
#cgo LDFLAGS: -lopenblas
void openblas_set_num_threads(int num_threads);
*/
import "C"

import (
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/blas/gonum"
	"gonum.org/v1/netlib/blas/netlib"
)

// UseGonum switches back to gonum's pure-Go BLAS (for benchmarks that
// compare the two in one run).
func UseGonum() { blas64.Use(gonum.Implementation{}) }

// Enable routes gonum's BLAS calls to OpenBLAS with one thread and returns
// the name of the implementation in use.
func Enable() string {
	C.openblas_set_num_threads(1)
	blas64.Use(netlib.Implementation{})
	return "openblas"
}
