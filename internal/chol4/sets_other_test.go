//go:build !amd64

package chol4

// kernelSets are the kernels this processor can run.
func kernelSets() []kernelSet { return []kernelSet{genericKernels, unfusedKernels} }
