package features

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	ort "github.com/yalue/onnxruntime_go"
)

// LibraryName is the onnxruntime shared library onnxruntime_go v1.27 needs
// (ORT 1.24, C API 24).
const LibraryName = "libonnxruntime.so.1"

// ErrNoLibrary reports that the onnxruntime shared library was not found.
var ErrNoLibrary = errors.New("onnxruntime shared library " + LibraryName + " not found: run `make setup` " +
	"(it fetches it into lib/ from the npm package onnxruntime-node@1.24.3), or set ONNXRUNTIME_LIB to its path")

// FindLibrary locates the onnxruntime shared library: $ONNXRUNTIME_LIB, then
// lib/ in the working directory or any directory above it (so tests in
// sub-packages find the project's copy), then lib/ next to the executable,
// then the system library directories.
func FindLibrary() (string, error) {
	if p := os.Getenv("ONNXRUNTIME_LIB"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("ONNXRUNTIME_LIB=%s: %w; unset it to use the project's lib/, or run `make setup`", p, err)
		}
		return p, nil
	}
	var candidates []string
	if wd, err := os.Getwd(); err == nil {
		for dir := wd; ; dir = filepath.Dir(dir) {
			candidates = append(candidates, filepath.Join(dir, "lib", LibraryName))
			if filepath.Dir(dir) == dir {
				break
			}
		}
	}
	if exe, err := os.Executable(); err == nil {
		d := filepath.Dir(exe)
		candidates = append(candidates, filepath.Join(d, "lib", LibraryName), filepath.Join(d, "..", "lib", LibraryName))
	}
	for _, d := range []string{"/usr/local/lib", "/usr/lib", "/usr/lib/x86_64-linux-gnu"} {
		candidates = append(candidates, filepath.Join(d, LibraryName))
	}
	for _, c := range candidates {
		if _, err := os.Stat(c); err == nil {
			return c, nil
		}
	}
	return "", ErrNoLibrary
}

var (
	initOnce sync.Once
	initErr  error
)

// initRuntime loads the shared library once per process; onnxruntime keeps
// one environment per process.
func initRuntime() error {
	initOnce.Do(func() {
		lib, err := FindLibrary()
		if err != nil {
			initErr = err
			return
		}
		ort.SetSharedLibraryPath(lib)
		if err := ort.InitializeEnvironment(); err != nil {
			initErr = fmt.Errorf("loading onnxruntime from %s: %w (it must be ORT 1.24.x for onnxruntime_go v1.27; run `make setup`)", lib, err)
		}
	})
	return initErr
}

// RuntimeVersion loads onnxruntime (see FindLibrary) and returns its
// version and the library's path.
func RuntimeVersion() (version, library string, err error) {
	if err := initRuntime(); err != nil {
		return "", "", err
	}
	lib, _ := FindLibrary()
	return ort.GetVersion(), lib, nil
}
