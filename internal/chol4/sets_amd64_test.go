package chol4

// kernelSets are the kernels this processor can run.
func kernelSets() []kernelSet {
	if kernels.name == avx2Kernels.name {
		return []kernelSet{avx2Kernels, genericKernels, unfusedKernels}
	}
	return []kernelSet{genericKernels, unfusedKernels}
}
