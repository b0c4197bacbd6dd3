package features

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/nistgmm/nistgmm/internal/atomicfile"

	"codeberg.org/sbinet/npyio/npy"
	"gonum.org/v1/gonum/mat"
)

// Set names; each is stored as <name>.npy (float32 features, n x 50) and
// <name>-labels.npy (int64 labels).
const (
	DigitsTrain = "digits-train"
	DigitsTest  = "digits-test"
	Letters     = "letters"
)

// ClassCount is one row of the manifest's per-class counts.
type ClassCount struct {
	Class string `json:"class"`
	Label int    `json:"label"`
	Count int    `json:"count"`
}

// SetInfo describes one extracted set in the manifest.
type SetInfo struct {
	Name      string       `json:"name"`
	Source    string       `json:"source"`
	Partition string       `json:"partition"`
	Count     int          `json:"count"`
	Skipped   int          `json:"skipped"`
	Classes   []ClassCount `json:"classes"`
	// Accuracy of the network's own digit classifier on the set (digits only).
	Accuracy *float64 `json:"cnn_accuracy,omitempty"`
}

// Manifest records how a features folder was made.
type Manifest struct {
	Format      string            `json:"format"`
	Created     string            `json:"created"`
	Model       string            `json:"model"`
	ModelSHA256 string            `json:"model_sha256"`
	Preprocess  string            `json:"preprocess"`
	NormMean    float64           `json:"norm_mean"`
	NormSD      float64           `json:"norm_sd"`
	ModelMeta   map[string]string `json:"model_metadata"`
	Sets        []SetInfo         `json:"sets"`
}

// ManifestFormat identifies version 1 of the manifest.
const ManifestFormat = "nistgmm/features/v1"

// WriteSet stores features (n x Dim, row-major) and labels as .npy files.
func WriteSet(dir, name string, feats []float32, labels []int) error {
	n := len(labels)
	if len(feats) != n*Dim {
		return fmt.Errorf("set %s: %d values for %d labels", name, len(feats), n)
	}
	rows := make([][]float32, n)
	for i := range rows {
		rows[i] = feats[i*Dim : (i+1)*Dim]
	}
	if n == 0 {
		return fmt.Errorf("set %s is empty", name)
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, name+".npy"), func(f io.Writer) error { return npy.Write(f, rows) }); err != nil {
		return err
	}
	l := make([]int64, n)
	for i, v := range labels {
		l[i] = int64(v)
	}
	return atomicfile.WriteFile(filepath.Join(dir, name+"-labels.npy"), func(f io.Writer) error { return npy.Write(f, l) })
}

// WriteManifest stores the manifest; write it last, so that its presence
// means the folder is complete.
func WriteManifest(dir string, m *Manifest) error {
	return atomicfile.WriteFile(filepath.Join(dir, "manifest.json"), func(f io.Writer) error {
		enc := json.NewEncoder(f)
		enc.SetIndent("", "  ")
		return enc.Encode(m)
	})
}

// ReadManifest loads dir/manifest.json.
func ReadManifest(dir string) (*Manifest, error) {
	data, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%s/manifest.json: %w", dir, err)
	}
	return &m, nil
}

// ReadSet loads <name>.npy and <name>-labels.npy from dir.
func ReadSet(dir, name string) (*mat.Dense, []int, error) {
	X, err := ReadMatrix(filepath.Join(dir, name+".npy"))
	if err != nil {
		return nil, nil, err
	}
	y, err := ReadLabels(filepath.Join(dir, name+"-labels.npy"))
	if err != nil {
		return nil, nil, err
	}
	if n, _ := X.Dims(); n != len(y) {
		return nil, nil, fmt.Errorf("%s: %d feature rows but %d labels", name, n, len(y))
	}
	return X, y, nil
}
