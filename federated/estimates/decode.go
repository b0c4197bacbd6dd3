package estimates

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sync"
)

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
	repeated := repeatedIDs(ests, named)
	for i := range ests {
		e := &ests[i]
		switch {
		case e.Malformed != "":
		case repeated[i] != "":
			e.Malformed, e.Mixture = repeated[i], nil
		case shape[i] != "":
			e.Malformed = shape[i]
		}
	}
	return ests, nil
}

// Received returns ests as DecodeEstimates returns the document
// EncodeEstimates writes for them, without the document: a copy in which an
// estimate without an id is malformed and named "#i" after its position i
// (and keeps neither its sample size nor its mixture), and every
// estimate whose id another one also gives is malformed, for the
// decoder's reason. Malformed estimates keep their reason. The mixtures are
// shared, not copied.
func Received(ests []Estimate) []Estimate {
	out := slices.Clone(ests)
	named := make([]bool, len(out))
	for i := range out {
		named[i] = out[i].ID != ""
		if !named[i] {
			out[i] = Estimate{ID: fmt.Sprintf("#%d", i), Malformed: out[i].Malformed}
			if out[i].Malformed == "" {
				out[i].Malformed = missingID
			}
		}
	}
	repeated := repeatedIDs(out, named)
	for i := range out {
		if out[i].Malformed == "" && repeated[i] != "" {
			out[i].Malformed, out[i].Mixture = repeated[i], nil
		}
	}
	return out
}

// repeatedIDs returns, for every estimate, why its id excludes it: an id
// that more than one of the named estimates gives ("" for the others; an
// unnamed estimate's "#i" is excluded too when named ones repeat it).
// Which entry is the machine's own is unknowable: anyone who can add an
// entry with a victim's id would otherwise choose for it.
func repeatedIDs(ests []Estimate, named []bool) []string {
	count := map[string]int{}
	for i, e := range ests {
		if named[i] {
			count[e.ID]++
		}
	}
	out := make([]string, len(ests))
	for i, e := range ests {
		if count[e.ID] > 1 {
			out[i] = fmt.Sprintf("id %s appears %d times in the document: every entry with it is excluded", QuoteID(e.ID), count[e.ID])
		}
	}
	return out
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
