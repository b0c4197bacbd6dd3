package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/nistgmm/nistgmm/federated/mixture"
	"github.com/nistgmm/nistgmm/mixsim"
)

// overlapDoc is what 'simulate mixture' writes and 'overlap' prints.
func cmdOverlap(_ context.Context, args []string) error {
	fs := newFlagSet("overlap", "--mixture FILE")
	path := fs.String("mixture", "", "JSON file whose top-level \"mixture\" object has weights, means and covariances "+
		"(from 'simulate mixture' or 'aggregate'); - for stdin")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := required(fs, "mixture"); err != nil {
		return err
	}
	var data []byte
	var err error
	if *path == "-" {
		data, err = io.ReadAll(io.LimitReader(os.Stdin, 1<<30))
	} else {
		data, err = os.ReadFile(*path)
	}
	if err != nil {
		return fmt.Errorf("--mixture: %w", err)
	}
	var doc struct {
		Mixture *mixture.MixtureJSON `json:"mixture"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("--mixture %s: not JSON with a \"mixture\" object: %v", *path, err)
	}
	if doc.Mixture == nil {
		return fmt.Errorf("--mixture %s: no top-level \"mixture\" object (want {\"mixture\": {\"weights\", \"means\", \"covariances\"}})", *path)
	}
	m, err := doc.Mixture.Mixture()
	if err != nil {
		return fmt.Errorf("--mixture %s: %w", *path, err)
	}
	ov, err := mixsim.ComputeOverlap(m)
	if err != nil {
		return fmt.Errorf("--mixture %s: %w", *path, err)
	}
	// The mixture is the input: printing it again would bury the overlaps.
	return mixsim.NewDocument(m, ov).WriteOverlaps(os.Stdout)
}

// writeOverlaps prints the overlaps alone, one row of the map per line.
