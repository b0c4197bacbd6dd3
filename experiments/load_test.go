package experiments

import "errors"

// loadFeatures reads an extracted features folder with letters, for
// benchmarks.
func loadFeatures(dir string) (*Data, error) {
	d, _, err := LoadData(dir)
	if err != nil {
		return nil, err
	}
	if d.Letters == nil {
		return nil, errors.New(dir + " has no letters")
	}
	return d, nil
}
