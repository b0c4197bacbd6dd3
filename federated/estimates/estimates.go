package estimates

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"strconv"
	"sync"

	"github.com/nistgmm/nistgmm/federated/mixture"
)

// EstimatesFormat identifies version 1 of the estimates exchange format.
const EstimatesFormat = "nistgmm/estimates/v1"

// MachineJSON is one machine's entry in an estimates file.
type MachineJSON struct {
	ID string `json:"id"`
	N  int    `json:"n"`
	mixture.MixtureJSON
}

// EstimatesFile is the document machines send to the server:
//
//	{"format":"nistgmm/estimates/v1","machines":[{"id":"m00","n":500,
//	  "weights":[...K],"means":[[...d],...K],"covariances":[[[...d],...d],...K]}]}
type EstimatesFile struct {
	Format   string        `json:"format"`
	Machines []MachineJSON `json:"machines"`
}

// EncodeEstimates writes ests in the exchange format, one machine at a
// time, so that memory never holds the whole document.
func EncodeEstimates(w io.Writer, ests []Estimate) error {
	format, err := json.Marshal(EstimatesFormat)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(w, `{"format":%s,"machines":`, format); err != nil {
		return err
	}
	if len(ests) == 0 {
		_, err := io.WriteString(w, "null}\n")
		return err
	}
	for i, e := range ests {
		b, err := json.Marshal(MachineJSON{ID: e.ID, N: e.N, MixtureJSON: e.Mixture.ToJSON()})
		if err != nil {
			return fmt.Errorf("estimate %d: %w", i, err)
		}
		sep := ","
		if i == 0 {
			sep = "["
		}
		if _, err := io.WriteString(w, sep); err != nil {
			return err
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	_, err = io.WriteString(w, "]}\n")
	return err
}

// DecodeEstimates reads an estimates document as a stream: each machine is
// decoded into its estimate as it is read, so memory holds the estimates
// and not the document. Each machine is decoded on its own: one that is
// malformed (missing or empty id, wrong types, null where a number
// belongs, numbers out of range, ragged arrays) comes back with Malformed
// set instead of failing the document. The bare NaN, Infinity and
// -Infinity tokens that Python's json.dump writes by default are read as
// those values, so the machine that sent them is reported invalid and the
// others are aggregated. Only a document that is not JSON, or not in this
// format, is an error.
func DecodeEstimates(r io.Reader) ([]Estimate, error) {
	s := newJSONScanner(r)
	var (
		format    string
		hasFormat bool
		ests      []Estimate
		named     []bool   // the entry gave its own id
		shape     []string // why the entry's arrays do not make a mixture
	)
	kind, err := s.kind()
	if err != nil {
		return nil, notEstimates(err)
	}
	if kind != jsonObject {
		return nil, fmt.Errorf("estimates: not a JSON estimates document: the document is a JSON %s, want an object", jsonKindNames[kind])
	}
	err = s.members(func(key string) error {
		switch key {
		case "format":
			k, err := s.kind()
			if err != nil {
				return err
			}
			if k == jsonNull {
				return s.literal("null")
			}
			if k != jsonString {
				return &fieldError{field: "format", kind: k}
			}
			v, err := s.str()
			format, hasFormat = string(v), true
			return err
		case "machines":
			k, err := s.kind()
			if err != nil {
				return err
			}
			if k == jsonNull {
				ests, named, shape = nil, nil, nil
				return s.literal("null")
			}
			if k != jsonArray {
				return &fieldError{field: "machines", kind: k}
			}
			ests, named, shape, err = decodeMachines(s)
			return err
		}
		return s.skip()
	})
	if err == nil {
		err = s.finish()
	}
	if err != nil {
		return nil, notEstimates(err)
	}
	if !hasFormat || format != EstimatesFormat {
		return nil, fmt.Errorf("estimates: format %q, want %q (see the README's estimates format)", format, EstimatesFormat)
	}
	count := map[string]int{}
	for i, e := range ests {
		if named[i] {
			count[e.ID]++
		}
	}
	for i := range ests {
		e := &ests[i]
		switch {
		case e.Malformed != "":
		case count[e.ID] > 1:
			// Which entry is the machine's own is unknowable: anyone who can
			// add an entry with a victim's id would otherwise choose for it.
			e.Malformed = fmt.Sprintf("id %s appears %d times in the document: every entry with it is excluded", QuoteID(e.ID), count[e.ID])
			e.Mixture = nil
		case shape[i] != "":
			e.Malformed = shape[i]
		}
	}
	return ests, nil
}

// decoded is one machine's entry as decodeMachine returns it.
type decoded struct {
	e     Estimate
	named bool
	shape string
	err   error
}

// decodeMachines reads the machines array. The main goroutine only finds
// where each entry ends (matching brackets outside strings); the entries
// are parsed, validated and converted by one goroutine per core, so a file
// of hundreds of megabytes costs about its reading time.
func decodeMachines(s *jsonScanner) ([]Estimate, []bool, []string, error) {
	type job struct {
		i   int
		raw []byte
		off int64
	}
	var (
		out  []decoded
		mu   sync.Mutex
		wg   sync.WaitGroup
		jobs = make(chan job, 4*runtime.GOMAXPROCS(0))
	)
	put := func(i int, d decoded) {
		mu.Lock()
		defer mu.Unlock()
		for len(out) <= i {
			out = append(out, decoded{})
		}
		out[i] = d
	}
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				sub := &jsonScanner{buf: j.raw, end: len(j.raw), eof: true, base: j.off}
				var d decoded
				d.e, d.named, d.shape, d.err = decodeMachine(sub, j.i)
				if d.err == nil {
					d.err = sub.finish()
				}
				put(j.i, d)
			}
		}()
	}
	count := 0
	err := s.elements(func(i int) error {
		count = i + 1
		k, err := s.kind()
		if err != nil {
			return err
		}
		if k != jsonObject {
			var d decoded
			d.e, d.named, d.shape, d.err = decodeMachine(s, i)
			put(i, d)
			return d.err
		}
		raw, off, err := s.rawValue()
		if err != nil {
			return err
		}
		jobs <- job{i, raw, off}
		return nil
	})
	close(jobs)
	wg.Wait()
	if err != nil {
		return nil, nil, nil, err
	}
	ests := make([]Estimate, count)
	named := make([]bool, count)
	shape := make([]string, count)
	for i := 0; i < count; i++ {
		if out[i].err != nil {
			return nil, nil, nil, out[i].err
		}
		ests[i], named[i], shape[i] = out[i].e, out[i].named, out[i].shape
	}
	return ests, named, shape, nil
}

// fieldError is a top-level field of the wrong kind.
type fieldError struct {
	field string
	kind  jsonKind
}

func (e *fieldError) Error() string {
	return fmt.Sprintf("field %q holds a JSON %s", e.field, jsonKindNames[e.kind])
}

func notEstimates(err error) error {
	var syn *syntaxError
	var field *fieldError
	if errors.As(err, &syn) || errors.As(err, &field) {
		return fmt.Errorf("estimates: not a JSON estimates document: %w", err)
	}
	return fmt.Errorf("estimates: %w", err)
}

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

// problem is what is wrong with the entry, checked in a fixed order
// whatever the order of its fields; "" when nothing is.
func (f *machineFields) problem() string {
	switch {
	case f.idProblem != "":
		return f.idProblem
	case f.id == "":
		return "missing or empty machine id"
	case !f.hasN:
		return "n (the sample size) is missing or not a number"
	}
	if _, err := strconv.ParseInt(f.nText, 10, 0); err != nil {
		return fmt.Sprintf("n = %s is not an integer", f.nText)
	}
	switch {
	case !f.hasWeights:
		return "weights is missing or not an array of numbers"
	case f.weightsProblem != "":
		return f.weightsProblem
	case !f.hasMeans:
		return "means is missing or not an array of arrays"
	case f.meansProblem != "":
		return f.meansProblem
	case !f.hasCovs:
		return "covariances is missing or not an array of matrices"
	}
	return f.covsProblem
}

func (f *machineFields) n() int {
	n, err := strconv.ParseInt(f.nText, 10, 0)
	if err != nil {
		return 0
	}
	return int(n)
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
