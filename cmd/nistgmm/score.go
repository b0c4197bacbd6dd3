package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/nistgmm/nistgmm/eval"
	"github.com/nistgmm/nistgmm/features"
	"github.com/nistgmm/nistgmm/federated/mixture"
	"github.com/nistgmm/nistgmm/internal/plural"
)

func cmdScore(ctx context.Context, args []string) error {
	fs := newFlagSet("score", "--mixture agg.json --features X.npy|X.csv (--labels y.npy|y.csv | --label-column NAME)")
	mixture := fs.String("mixture", "", "report from 'nistgmm aggregate' (or any JSON with a top-level \"mixture\" object)")
	feats := fs.String("features", "", "features to cluster: a 2-D .npy array, or a .csv/.tsv/.txt table read as fit-local reads --data")
	labels := fs.String("labels", "", "true labels: a 1-D integer .npy array or a one-column table")
	var tf tableFlags
	tf.register(fs, "instead of --labels: the column of the --features table holding the labels (header name or 0-based index)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := required(fs, "mixture", "features"); err != nil {
		return err
	}
	if (*labels == "") == (tf.labelColumn == "") {
		return fmt.Errorf("give the true labels either as --labels FILE or as --label-column of the --features table")
	}
	mix, err := readMixture(*mixture)
	if err != nil {
		return fmt.Errorf("--mixture: %w", err)
	}
	tab, err := tf.read("features", *feats)
	if err != nil {
		return err
	}
	X, y := tab.X, tab.Labels
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
	// The value is named, so that a saved output still says what it is;
	// the name comes first, so that `cut -d' ' -f2` gives the number.
	n, _ := X.Dims()
	fmt.Printf("ARI %.6f (adjusted Rand index between the clusters of the mixture's %s and the %s, over %s; 1 "+
		"is perfect agreement, 0 that of chance)\n", ari, plural.Count(mix.K(), "component"), plural.Count(countDistinct(y), "distinct label"),
		plural.Count(n, "observation"))
	return nil
}

// countDistinct counts the distinct labels.
func countDistinct(y []int) int {
	seen := map[int]bool{}
	for _, v := range y {
		seen[v] = true
	}
	return len(seen)
}

// readMixture reads the top-level "mixture" object of a JSON file and
// checks it is a valid mixture.
func readMixture(path string) (*mixture.Mixture, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Mixture *mixture.MixtureJSON `json:"mixture"`
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
