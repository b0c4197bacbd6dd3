package experiments

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/nistgmm/nistgmm/features"
)

// LoadData reads the digits (training and test) and, when the folder has
// them, the letters of a features folder made by extract. It does not
// check the manifest's model: the caller says which features it used.
func LoadData(dir string) (*Data, *features.Manifest, error) {
	man, err := features.ReadManifest(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("%s is not a features folder (%w); make one with 'nistgmm extract --out %s'", dir, err, dir)
	}
	d := &Data{}
	if d.Train, d.TrainLabels, err = features.ReadSet(dir, features.DigitsTrain); err != nil {
		return nil, nil, err
	}
	if d.Test, d.TestLabels, err = features.ReadSet(dir, features.DigitsTest); err != nil {
		return nil, nil, err
	}
	if _, err := os.Stat(filepath.Join(dir, features.Letters+".npy")); err == nil {
		if d.Letters, _, err = features.ReadSet(dir, features.Letters); err != nil {
			return nil, nil, err
		}
	}
	return d, man, nil
}
