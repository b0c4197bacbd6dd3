//go:build cgo && !noopenblas

package fastblas

/*
#cgo LDFLAGS: -lopenblas
void openblas_set_num_threads(int num_threads);
*/
import "C"

import (
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/netlib/blas/netlib"
)

// Enable routes gonum's BLAS calls to OpenBLAS with one thread and returns
// the name of the implementation in use.
func Enable() string {
	C.openblas_set_num_threads(1)
	blas64.Use(netlib.Implementation{})
	return "openblas"
}
