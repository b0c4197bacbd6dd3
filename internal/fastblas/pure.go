//go:build !cgo || noopenblas

package fastblas

// Enable keeps gonum's pure-Go BLAS and returns its name.
func Enable() string { return "gonum" }

// UseGonum keeps gonum's pure-Go BLAS.
func UseGonum() {}
