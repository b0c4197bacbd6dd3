package federated

import (
	"encoding/json"
	"fmt"
	"io"
	"math"

	"gonum.org/v1/gonum/mat"
)

// EstimatesFormat identifies version 1 of the estimates exchange format.
const EstimatesFormat = "nistgmm/estimates/v1"

// MixtureJSON is a mixture as it travels: plain arrays, full covariances.
type MixtureJSON struct {
	Weights     []float64     `json:"weights"`
	Means       [][]float64   `json:"means"`
	Covariances [][][]float64 `json:"covariances"`
}

// MachineJSON is one machine's entry in an estimates file.
type MachineJSON struct {
	ID string `json:"id"`
	N  int    `json:"n"`
	MixtureJSON
}

// EstimatesFile is the document machines send to the server:
//
//	{"format":"nistgmm/estimates/v1","machines":[{"id":"m00","n":500,
//	  "weights":[...K],"means":[[...d],...K],"covariances":[[[...d],...d],...K]}]}
type EstimatesFile struct {
	Format   string        `json:"format"`
	Machines []MachineJSON `json:"machines"`
}

// ToJSON converts a mixture for transmission.
func (m *Mixture) ToJSON() MixtureJSON {
	out := MixtureJSON{Weights: append([]float64(nil), m.Weights...)}
	for k := range m.Means {
		out.Means = append(out.Means, append([]float64(nil), m.Means[k]...))
		d := m.Covs[k].SymmetricDim()
		c := make([][]float64, d)
		for i := range c {
			c[i] = make([]float64, d)
			for j := range c[i] {
				c[i][j] = m.Covs[k].At(i, j)
			}
		}
		out.Covariances = append(out.Covariances, c)
	}
	return out
}

// Mixture converts back, checking shapes and symmetry; Validate checks the rest.
func (j MixtureJSON) Mixture() (*Mixture, error) {
	k := len(j.Weights)
	if k == 0 {
		return nil, fmt.Errorf("missing weights")
	}
	if len(j.Means) != k || len(j.Covariances) != k {
		return nil, fmt.Errorf("%d weights, %d means, %d covariances", k, len(j.Means), len(j.Covariances))
	}
	m := &Mixture{Weights: append([]float64(nil), j.Weights...)}
	for c := 0; c < k; c++ {
		d := len(j.Means[c])
		if d == 0 {
			return nil, fmt.Errorf("mean %d is empty", c)
		}
		m.Means = append(m.Means, append([]float64(nil), j.Means[c]...))
		cov := j.Covariances[c]
		if len(cov) != d {
			return nil, fmt.Errorf("covariance %d has %d rows, mean has %d entries", c, len(cov), d)
		}
		s := mat.NewSymDense(d, nil)
		for r := 0; r < d; r++ {
			if len(cov[r]) != d {
				return nil, fmt.Errorf("covariance %d row %d has %d entries, want %d", c, r, len(cov[r]), d)
			}
		}
		for r := 0; r < d; r++ {
			for q := r; q < d; q++ {
				a, b := cov[r][q], cov[q][r]
				if math.Abs(a-b) > 1e-9*math.Max(1, math.Max(math.Abs(a), math.Abs(b))) {
					return nil, fmt.Errorf("covariance %d is not symmetric at (%d,%d): %v vs %v", c, r, q, a, b)
				}
				s.SetSym(r, q, a)
			}
		}
		m.Covs = append(m.Covs, s)
	}
	return m, nil
}

// EncodeEstimates writes ests in the exchange format.
func EncodeEstimates(w io.Writer, ests []Estimate) error {
	f := EstimatesFile{Format: EstimatesFormat}
	for _, e := range ests {
		f.Machines = append(f.Machines, MachineJSON{ID: e.ID, N: e.N, MixtureJSON: e.Mixture.ToJSON()})
	}
	enc := json.NewEncoder(w)
	return enc.Encode(f)
}

// DecodeEstimates reads an estimates document. Each machine is decoded on
// its own: one that is malformed (wrong types, numbers out of range, ragged
// arrays) comes back with Malformed set instead of failing the document.
// Only a document that is not JSON, or not in this format, is an error.
func DecodeEstimates(r io.Reader) ([]Estimate, error) {
	var doc struct {
		Format   string            `json:"format"`
		Machines []json.RawMessage `json:"machines"`
	}
	if err := json.NewDecoder(r).Decode(&doc); err != nil {
		return nil, fmt.Errorf("estimates: not a JSON document: %w", err)
	}
	if doc.Format != EstimatesFormat {
		return nil, fmt.Errorf("estimates: format %q, want %q", doc.Format, EstimatesFormat)
	}
	ests := make([]Estimate, 0, len(doc.Machines))
	seen := map[string]bool{}
	for i, raw := range doc.Machines {
		var m MachineJSON
		e := Estimate{ID: fmt.Sprintf("#%d", i)}
		if err := json.Unmarshal(raw, &m); err != nil {
			var id struct {
				ID string `json:"id"`
			}
			if json.Unmarshal(raw, &id) == nil && id.ID != "" {
				e.ID = id.ID
			}
			e.Malformed = fmt.Sprintf("malformed entry: %v", err)
			ests = append(ests, e)
			continue
		}
		if m.ID != "" {
			e.ID = m.ID
		}
		e.N = m.N
		switch {
		case seen[e.ID]:
			e.Malformed = fmt.Sprintf("duplicate id %q", e.ID)
		default:
			mix, err := m.MixtureJSON.Mixture()
			if err != nil {
				e.Malformed = err.Error()
			} else {
				e.Mixture = mix
			}
		}
		seen[e.ID] = true
		ests = append(ests, e)
	}
	return ests, nil
}
