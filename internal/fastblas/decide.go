package fastblas

// chooseCoreType is CoreTypeFix's rule, apart from the machine it runs on:
// the user's OPENBLAS_CORETYPE (env) is always kept; kernels reported as
// the generic "Prescott" on a CPU with AVX2 and FMA were misdetected, and
// "Haswell" is proposed; anything else is right as it is.
func chooseCoreType(env, coreName string, avx2, fma bool) string {
	if env != "" {
		return ""
	}
	if coreName == "Prescott" && avx2 && fma {
		return "Haswell"
	}
	return ""
}
