package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/nistgmm/nistgmm/federated/mixture"
	"github.com/nistgmm/nistgmm/mixsim"
)

// overlapDoc is what 'simulate mixture' writes and 'overlap' prints.
type overlapDoc struct {
	Mixture  *mixture.MixtureJSON `json:"mixture,omitempty"`
	MaxOmega float64              `json:"max_omega"`
	// MaxPair is the pair of components (0-based) whose overlap is MaxOmega.
	MaxPair  [2]int  `json:"max_omega_pair"`
	BarOmega float64 `json:"bar_omega"`
	// OmegaMap[i][j] is o_{j|i}, the probability that a point of component
	// i is assigned to j.
	OmegaMap [][]float64 `json:"omega_map"`
}

func newOverlapDoc(m *mixture.Mixture, ov *mixsim.Overlap) overlapDoc {
	mj := m.ToJSON()
	return overlapDoc{Mixture: &mj, MaxOmega: ov.Max, MaxPair: ov.Pair, BarOmega: ov.Bar, OmegaMap: ov.Map}
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	return enc.Encode(v)
}

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
	return writeOverlaps(os.Stdout, newOverlapDoc(m, ov))
}

// writeOverlaps prints the overlaps alone, one row of the map per line.
func writeOverlaps(w io.Writer, doc overlapDoc) error {
	num := func(v any) string {
		b, _ := json.Marshal(v)
		return string(b)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "{\n \"max_omega\": %s,\n \"max_omega_pair\": %s,\n \"bar_omega\": %s,\n \"omega_map\": [\n",
		num(doc.MaxOmega), num(doc.MaxPair), num(doc.BarOmega))
	for i, row := range doc.OmegaMap {
		sep := ","
		if i == len(doc.OmegaMap)-1 {
			sep = ""
		}
		fmt.Fprintf(&b, "  %s%s\n", num(row), sep)
	}
	b.WriteString(" ]\n}\n")
	_, err := io.WriteString(w, b.String())
	return err
}
