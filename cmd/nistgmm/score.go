package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/nistgmm/nistgmm/eval"
	"github.com/nistgmm/nistgmm/features"
	"github.com/nistgmm/nistgmm/federated"
)

func cmdScore(ctx context.Context, args []string) error {
	fs := newFlagSet("score", "--mixture agg.json --features X.npy --labels y.npy")
	mixture := fs.String("mixture", "", "report from 'nistgmm aggregate' (or any JSON with a top-level \"mixture\" object)")
	feats := fs.String("features", "", "2-D .npy features to cluster")
	labels := fs.String("labels", "", "1-D .npy true labels")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := required(fs, "mixture", "features", "labels"); err != nil {
		return err
	}
	mix, err := readMixture(*mixture)
	if err != nil {
		return fmt.Errorf("--mixture: %w", err)
	}
	X, err := features.ReadMatrix(*feats)
	if err != nil {
		return fmt.Errorf("--features: %w", err)
	}
	y, err := features.ReadLabels(*labels)
	if err != nil {
		return fmt.Errorf("--labels: %w", err)
	}
	if _, d := X.Dims(); d != mix.Dim() {
		return fmt.Errorf("--features have %d columns, the mixture has dimension %d", d, mix.Dim())
	}
	pred, err := mix.Predict(X)
	if err != nil {
		return err
	}
	ari, err := eval.ARI(pred, y)
	if err != nil {
		return fmt.Errorf("--labels: %w", err)
	}
	fmt.Printf("%.6f\n", ari)
	return nil
}

// readMixture reads the top-level "mixture" object of a JSON file and
// checks it is a valid mixture.
func readMixture(path string) (*federated.Mixture, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Mixture *federated.MixtureJSON `json:"mixture"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s is not JSON with a \"mixture\" object of weights, means and covariances: %v", path, err)
	}
	if doc.Mixture == nil {
		return nil, fmt.Errorf("%s has no top-level \"mixture\" object", path)
	}
	mix, err := doc.Mixture.Mixture()
	if err == nil {
		err = mix.Validate()
	}
	if err != nil {
		return nil, fmt.Errorf("%s: its \"mixture\" is not a valid mixture: %w", path, err)
	}
	return mix, nil
}
