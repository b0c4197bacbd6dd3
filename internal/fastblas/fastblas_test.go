package fastblas

import "testing"

// The rule itself, in every build: the user's choice is kept, a misdetected
// CPU gets Haswell, and nothing else is changed.
func TestChooseCoreType(t *testing.T) {
	for _, c := range []struct {
		env, core string
		avx2, fma bool
		want      string
	}{
		{"Prescott", "Prescott", true, true, ""},
		{"", "Prescott", true, true, "Haswell"},
		{"", "Prescott", true, false, ""},
		{"", "Prescott", false, true, ""},
		{"", "Haswell", true, true, ""},
		{"", "SkylakeX", true, true, ""},
		{"", "", true, true, ""},
	} {
		if got := chooseCoreType(c.env, c.core, c.avx2, c.fma); got != c.want {
			t.Errorf("env %q, core %q, AVX2 %v, FMA %v: %q, want %q", c.env, c.core, c.avx2, c.fma, got, c.want)
		}
	}
}

// With OpenBLAS linked, CoreTypeFix applies the rule to the kernels in use
// and the user's setting.
func TestCoreTypeFixOnTheKernelsInUse(t *testing.T) {
	if CoreName() == "" {
		t.Skip("this build has no OpenBLAS (pure Go): nothing to choose")
	}
	t.Setenv("OPENBLAS_CORETYPE", "Prescott")
	if got := CoreTypeFix(); got != "" {
		t.Fatalf("with OPENBLAS_CORETYPE set, CoreTypeFix = %q, want \"\"", got)
	}
	t.Setenv("OPENBLAS_CORETYPE", "")
	name, fix := CoreName(), CoreTypeFix()
	if fix != "" && (name != "Prescott" || fix == name) {
		t.Fatalf("OpenBLAS runs %q kernels and CoreTypeFix proposes %q", name, fix)
	}
}
