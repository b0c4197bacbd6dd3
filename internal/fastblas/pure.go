//go:build !cgo || noopenblas

package fastblas

// Enable keeps gonum's pure-Go BLAS and returns its name.
func Enable() string { return "gonum" }

// UseGonum keeps gonum's pure-Go BLAS.
func UseGonum() {}

// CoreName returns "": no OpenBLAS in this build.
func CoreName() string { return "" }

// CoreTypeFix returns "": no OpenBLAS in this build.
func CoreTypeFix() string { return "" }
