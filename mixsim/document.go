package mixsim

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/nistgmm/nistgmm/federated/mixture"
)

// Document is a mixture with its exact overlaps, as JSON: what the
// generator's mixtures are written as, and whose overlaps alone
// WriteOverlaps prints.
type Document struct {
	Mixture  *mixture.MixtureJSON `json:"mixture,omitempty"`
	MaxOmega float64              `json:"max_omega"`
	// MaxPair is the pair of components (0-based) whose overlap is MaxOmega.
	MaxPair  [2]int  `json:"max_omega_pair"`
	BarOmega float64 `json:"bar_omega"`
	// OmegaMap[i][j] is o_{j|i}, the probability that a point of component
	// i is assigned to j.
	OmegaMap [][]float64 `json:"omega_map"`
}

// NewDocument is mixture m with its overlaps ov.
func NewDocument(m *mixture.Mixture, ov *Overlap) Document {
	mj := m.ToJSON()
	return Document{Mixture: &mj, MaxOmega: ov.Max, MaxPair: ov.Pair, BarOmega: ov.Bar, OmegaMap: ov.Map}
}

// WriteJSON writes the document indented by a space.
func (doc Document) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	return enc.Encode(doc)
}

// WriteOverlaps writes the overlaps alone (not the mixture) as JSON, a
// row of the map a line.
func (doc Document) WriteOverlaps(w io.Writer) error {
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
