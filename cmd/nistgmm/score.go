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
	fs := newFlagSet("score", "--mixture agg.json --features X.npy|X.csv (--labels y.npy|y.csv | --label-column NAME)")
	mixture := fs.String("mixture", "", "report from 'nistgmm aggregate' (or any JSON with a top-level \"mixture\" object)")
	feats := fs.String("features", "", "features to cluster: a 2-D .npy array, or a .csv/.tsv/.txt table (comma or tab separated, optional header)")
	labels := fs.String("labels", "", "true labels: a 1-D integer .npy array or a one-column table")
	labelColumn := fs.String("label-column", "", "instead of --labels: the column of the --features table holding the labels (header name or 0-based index)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := required(fs, "mixture", "features"); err != nil {
		return err
	}
	if (*labels == "") == (*labelColumn == "") {
		return fmt.Errorf("give the true labels either as --labels FILE or as --label-column of the --features table")
	}
	mix, err := readMixture(*mixture)
	if err != nil {
		return fmt.Errorf("--mixture: %w", err)
	}
	X, y, err := features.ReadObservations(*feats, *labelColumn)
	if err != nil {
		return fmt.Errorf("--features: %w", err)
	}
	if *labels != "" {
		if y, err = features.ReadLabelsFile(*labels); err != nil {
			return fmt.Errorf("--labels: %w", err)
		}
	}
	if n, _ := X.Dims(); n != len(y) {
		return fmt.Errorf("%d observations but %d labels", n, len(y))
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
