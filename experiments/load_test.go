package experiments

import (
	"os"
	"path/filepath"

	"github.com/nistgmm/nistgmm/features"
)

// loadFeatures reads an extracted features folder for benchmarks.
func loadFeatures(dir string) (*Data, error) {
	if _, err := os.Stat(filepath.Join(dir, "manifest.json")); err != nil {
		return nil, err
	}
	d := &Data{}
	var err error
	if d.Train, d.TrainLabels, err = features.ReadSet(dir, features.DigitsTrain); err != nil {
		return nil, err
	}
	if d.Test, d.TestLabels, err = features.ReadSet(dir, features.DigitsTest); err != nil {
		return nil, err
	}
	if d.Letters, _, err = features.ReadSet(dir, features.Letters); err != nil {
		return nil, err
	}
	return d, nil
}
