package server

import (
	"os/exec"
	"strings"
	"testing"
)

// Importing federated must not bring cgo or OpenBLAS: a library user builds
// with CGO_ENABLED=0 (see examples/library). Only the nistgmm command picks
// OpenBLAS, through internal/fastblas.
func TestLibraryNeedsNoCgo(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go tool is not on PATH")
	}
	out, err := exec.Command(goTool, "list", "-deps", "-f", "{{.ImportPath}}{{if .CgoFiles}} uses-cgo{{end}}", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, "fastblas") || strings.Contains(line, "netlib") || strings.Contains(line, "uses-cgo") && !strings.HasPrefix(line, "runtime/cgo") {
			t.Errorf("federated depends on %s", line)
		}
	}
}
