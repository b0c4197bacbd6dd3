//go:build cgo && !noopenblas

package fastblas

/*
#cgo LDFLAGS: -lopenblas
void openblas_set_num_threads(int num_threads);
void dpotrf_(char *uplo, int *n, double *a, int *lda, int *info);
*/
import "C"

import (
	"unsafe"

	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/blas/gonum"
	"gonum.org/v1/netlib/blas/netlib"
)

// CholeskyUpper overwrites the upper triangle of the row-major n x n matrix a
// with U such that a = U^T U, in one call to OpenBLAS's dpotrf (gonum's
// Potrf would cross into C once per column). It reports whether a is
// positive definite.
func CholeskyUpper(n int, a []float64) bool {
	if n == 0 {
		return true
	}
	_ = a[n*n-1]
	// Row-major upper is column-major lower.
	uplo := C.char('L')
	cn, lda, info := C.int(n), C.int(n), C.int(0)
	C.dpotrf_(&uplo, &cn, (*C.double)(unsafe.Pointer(&a[0])), &lda, &info)
	return info == 0
}

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
