// Package fastblas selects the BLAS implementation behind gonum's blas64,
// which the federated packages call for their matrix work. Library code never
// imports it: a program that imports them gets gonum's pure-Go BLAS
// and builds with CGO_ENABLED=0. The nistgmm command (with cgo, which
// onnxruntime needs anyway) calls Enable to route the calls to Debian's
// OpenBLAS, single-threaded because the callers already run one goroutine
// per core; built with -tags noopenblas or without cgo, Enable keeps the
// pure-Go code. The EM hot path runs several times faster on OpenBLAS; see
// BenchmarkEMIterationBackends in federated/mixture.
package fastblas
