package server

import (
	"os"
	"testing"

	"github.com/nistgmm/nistgmm/internal/fastblas"
)

// TestMain runs tests and benchmarks on the BLAS the commands use.
func TestMain(m *testing.M) {
	fastblas.Enable()
	os.Exit(m.Run())
}
