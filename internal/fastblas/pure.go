//go:build !cgo || noopenblas

package fastblas

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/lapack/lapack64"
)

// CholeskyUpper overwrites the upper triangle of the row-major n x n matrix a
// with U such that a = U^T U and reports whether a is positive definite.
func CholeskyUpper(n int, a []float64) bool {
	_, ok := lapack64.Potrf(blas64.Symmetric{N: n, Stride: n, Data: a, Uplo: blas.Upper})
	return ok
}

// Enable keeps gonum's pure-Go BLAS and returns its name.
func Enable() string { return "gonum" }

// UseGonum keeps gonum's pure-Go BLAS.
func UseGonum() {}
