package main

import (
	"context"
	"crypto/sha256"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/nistgmm/nistgmm/features"
	"github.com/nistgmm/nistgmm/internal/chol4"
	"github.com/nistgmm/nistgmm/internal/fastblas"
	"github.com/nistgmm/nistgmm/models"
)

// cmdVersion prints what a bug report needs: the build (module version,
// revision, whether the tree was modified), Go, the linear algebra in use
// (it sets the speed), onnxruntime and the CNN.
func cmdVersion(_ context.Context, args []string) error {
	fs := newFlagSet("version", "")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	fmt.Print(versionText())
	return nil
}

func versionText() string {
	module, revision, modified, when := "(unknown)", "unknown: built without version control information", "", ""
	if info, ok := debug.ReadBuildInfo(); ok {
		module = info.Main.Version
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				revision = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					modified = ", modified"
				}
			case "vcs.time":
				when = ", committed " + s.Value
			}
		}
	}
	out := fmt.Sprintf("nistgmm %s (revision %s%s%s)\n%s %s/%s\n", module, revision, modified, when, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	blas := fastblas.Enable() // main has enabled it already: this only reads its name
	if core := fastblas.CoreName(); core != "" {
		blas += " (" + core + " kernels)"
	}
	out += fmt.Sprintf("linear algebra: %s; Cholesky kernels of ISE and CS: %s\n", blas, chol4.Kernels())
	if v, lib, err := features.RuntimeVersion(); err != nil {
		out += fmt.Sprintf("onnxruntime: not loaded: %v\n", err)
	} else {
		out += fmt.Sprintf("onnxruntime %s (%s)\n", v, lib)
	}
	sum := sha256.Sum256(models.CNN())
	out += fmt.Sprintf("CNN: %s, sha256 %x\n", builtinModel, sum)
	return out
}
