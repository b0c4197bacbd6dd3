// Package fastblas selects the BLAS implementation behind gonum's blas64 and
// lapack64. With cgo (the default build, which onnxruntime needs anyway) it is
// Debian's OpenBLAS, single-threaded because the callers already run one
// goroutine per core; built with -tags noopenblas or without cgo it is
// gonum's pure-Go code. The EM and distance hot paths run several times
// faster on OpenBLAS; see BenchmarkEMIteration.
package fastblas
