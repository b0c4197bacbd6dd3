package fastblas

import "testing"

// A kernel set chosen by the user is never overridden.
func TestCoreTypeFixKeepsTheUsersChoice(t *testing.T) {
	t.Setenv("OPENBLAS_CORETYPE", "Prescott")
	if got := CoreTypeFix(); got != "" {
		t.Fatalf("with OPENBLAS_CORETYPE set, CoreTypeFix = %q, want \"\"", got)
	}
}

// The fix names a kernel set only when the one in use is the generic
// fallback, and it never names the one in use.
func TestCoreTypeFixOnlyReplacesTheFallback(t *testing.T) {
	t.Setenv("OPENBLAS_CORETYPE", "")
	name, fix := CoreName(), CoreTypeFix()
	if fix != "" && (name != "Prescott" || fix == name) {
		t.Fatalf("OpenBLAS runs %q kernels and CoreTypeFix proposes %q", name, fix)
	}
	t.Logf("OpenBLAS kernels %q, fix %q", name, fix)
}
