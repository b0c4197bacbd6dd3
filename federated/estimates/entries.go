package estimates

import (
	"fmt"
	"math"

	"github.com/nistgmm/nistgmm/federated/mixture"
)

// machineFields is what one entry held, field by field (the last of
// repeated keys wins, as in encoding/json).
type machineFields struct {
	id                            string
	idProblem                     string
	hasN                          bool
	nText                         string
	weights                       []float64
	weightsProblem                string
	means                         [][]float64
	meansProblem                  string
	covs                          [][][]float64
	covsProblem                   string
	hasWeights, hasMeans, hasCovs bool
}

// decodeMachine reads entry i of machines and reports whether it gave its
// own id (an entry without one is named "#i"). An error means the document
// is not JSON; an entry that is not a machine's comes back with Malformed
// set, and one whose arrays do not make a mixture with the reason in shape
// (which a repeated id overrides).
func decodeMachine(s *jsonScanner, i int) (e Estimate, named bool, shape string, err error) {
	e = Estimate{ID: fmt.Sprintf("#%d", i)}
	k, err := s.kind()
	if err != nil {
		return e, false, "", err
	}
	if k != jsonObject {
		e.Malformed = "entry is not a JSON object"
		return e, false, "", s.skip()
	}
	var f machineFields
	err = s.members(func(key string) error {
		switch key {
		case "id":
			k, err := s.kind()
			if err != nil {
				return err
			}
			f.id, f.idProblem = "", ""
			switch k {
			case jsonString:
				v, err := s.str()
				f.id = string(v)
				return err
			case jsonNull:
				return s.literal("null")
			}
			f.idProblem = "id is not a string"
			return s.skip()
		case "n":
			k, err := s.kind()
			if err != nil {
				return err
			}
			f.hasN = k == jsonNumber
			if !f.hasN {
				return s.skip()
			}
			v, _, err := s.number()
			f.nText = string(v)
			return err
		case "weights":
			f.hasWeights = true
			f.weights, f.weightsProblem, err = readNumbers(s, "weights", nil)
			return err
		case "means":
			f.hasMeans = true
			f.means, f.meansProblem, err = readRows(s, "means", "means is missing or not an array of arrays")
			return err
		case "covariances":
			f.hasCovs = true
			f.covs, f.covsProblem = nil, ""
			k, err := s.kind()
			if err != nil {
				return err
			}
			if k != jsonArray {
				f.covsProblem = "covariances is missing or not an array of matrices"
				return s.skip()
			}
			return s.elements(func(c int) error {
				name := fmt.Sprintf("covariances[%d]", c)
				rows, problem, err := readRows(s, name, name+" is not an array of rows")
				if f.covsProblem == "" {
					f.covsProblem = problem
				}
				f.covs = append(f.covs, rows)
				return err
			})
		}
		return s.skip()
	})
	if err != nil {
		return e, false, "", err
	}
	e.Malformed = f.problem()
	named = f.id != "" && f.idProblem == ""
	if named {
		e.ID = f.id
	}
	if e.Malformed != "" {
		if named {
			e.N = f.n()
		}
		return e, named, "", nil
	}
	e.N = f.n()
	mix, err := mixture.MixtureJSON{Weights: f.weights, Means: f.means, Covariances: f.covs}.Mixture()
	if err != nil {
		return e, named, err.Error(), nil
	}
	e.Mixture = mix
	return e, named, "", nil
}

// readRows reads an array of arrays of numbers named name; notArray is the
// problem when it is not an array.
func readRows(s *jsonScanner, name, notArray string) ([][]float64, string, error) {
	k, err := s.kind()
	if err != nil {
		return nil, "", err
	}
	if k != jsonArray {
		return nil, notArray, s.skip()
	}
	var rows [][]float64
	problem := ""
	err = s.elements(func(r int) error {
		row, p, err := readNumbers(s, fmt.Sprintf("%s[%d]", name, r), nil)
		if problem == "" {
			problem = p
		}
		rows = append(rows, row)
		return err
	})
	return rows, problem, err
}

// readNumbers reads an array of numbers named name; NaN and infinities
// (bare tokens, the strings "NaN", "Infinity" and "-Infinity", or numbers
// beyond float64's range) are kept for validation to reject with a precise
// reason. problem is the first thing wrong with it, in the format's terms.
func readNumbers(s *jsonScanner, name string, into []float64) ([]float64, string, error) {
	k, err := s.kind()
	if err != nil {
		return nil, "", err
	}
	if k != jsonArray {
		return nil, name + " is missing or not an array of numbers", s.skip()
	}
	out := into[:0]
	problem := ""
	err = s.elements(func(i int) error {
		k, err := s.kind()
		if err != nil {
			return err
		}
		switch k {
		case jsonNumber:
			_, v, err := s.number()
			out = append(out, v)
			return err
		case jsonString:
			v, err := s.str()
			if err != nil {
				return err
			}
			switch string(v) {
			case "NaN":
				out = append(out, math.NaN())
			case "Infinity":
				out = append(out, math.Inf(1))
			case "-Infinity":
				out = append(out, math.Inf(-1))
			default:
				if problem == "" {
					problem = fmt.Sprintf("%s[%d] is the string %q, not a number", name, i, v)
				}
			}
			return nil
		case jsonNull:
			if problem == "" {
				problem = fmt.Sprintf("%s[%d] is null, not a number", name, i)
			}
			return s.literal("null")
		}
		if problem == "" {
			problem = fmt.Sprintf("%s[%d] is not a number", name, i)
		}
		return s.skip()
	})
	if problem != "" {
		out = nil
	}
	return out, problem, err
}
