package estimates

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/nistgmm/nistgmm/federated/mixture"
)

// referenceDecodeEstimates is the decoder DecodeEstimates replaced: the
// whole document through encoding/json, each machine as a generic tree.
// The streaming decoder must agree with it entry by entry.
//
// It reads an estimates document. Each machine is decoded on
// its own: one that is malformed (missing or empty id, wrong types, null
// where a number belongs, numbers out of range, ragged arrays) comes back
// with Malformed set instead of failing the document. The bare NaN,
// Infinity and -Infinity tokens that Python's json.dump writes by default
// are read as those values, so the machine that sent them is reported
// invalid and the others are aggregated. Only a document that is not JSON,
// or not in this format, is an error.
func referenceDecodeEstimates(r io.Reader) ([]Estimate, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("estimates: %w", err)
	}
	var doc struct {
		Format   string            `json:"format"`
		Machines []json.RawMessage `json:"machines"`
	}
	if err := json.Unmarshal(referenceQuoteNonFinite(data), &doc); err != nil {
		return nil, fmt.Errorf("estimates: not a JSON estimates document: %s", referenceJSONProblem(err))
	}
	if doc.Format != EstimatesFormat {
		return nil, fmt.Errorf("estimates: format %q, want %q (see the README's estimates format)", doc.Format, EstimatesFormat)
	}
	type decoded struct {
		id, problem string
		n           int
		mj          mixture.MixtureJSON
	}
	entries := make([]decoded, len(doc.Machines))
	count := map[string]int{}
	for i, raw := range doc.Machines {
		e := &entries[i]
		e.id, e.n, e.mj, e.problem = referenceDecodeMachine(raw)
		if e.id != "" {
			count[e.id]++
		}
	}
	ests := make([]Estimate, 0, len(doc.Machines))
	for i, d := range entries {
		e := Estimate{ID: fmt.Sprintf("#%d", i)}
		id, n, mj, problem := d.id, d.n, d.mj, d.problem
		if id != "" {
			e.ID = id
		}
		e.N = n
		switch {
		case problem != "":
			e.Malformed = problem
		case count[id] > 1:
			// Which entry is the machine's own is unknowable: anyone who can
			// add an entry with a victim's id would otherwise choose for it.
			e.Malformed = fmt.Sprintf("id %s appears %d times in the document: every entry with it is excluded", QuoteID(id), count[id])
		default:
			mix, err := mj.Mixture()
			if err != nil {
				e.Malformed = err.Error()
			} else {
				e.Mixture = mix
			}
		}
		ests = append(ests, e)
	}
	return ests, nil
}

// referenceJSONProblem rewords encoding/json's errors, which name Go types.
func referenceJSONProblem(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("%v at byte %d", syn, syn.Offset)
	case errors.As(err, &typ):
		return fmt.Sprintf("field %q holds a JSON %s", typ.Field, typ.Value)
	}
	return err.Error()
}

// referenceQuoteNonFinite returns data with the bare tokens NaN, Infinity and
// -Infinity outside strings replaced by the strings "NaN", "Infinity" and
// "-Infinity", which referenceDecodeMachine reads as numbers.
func referenceQuoteNonFinite(data []byte) []byte {
	var out []byte
	inString, escaped := false, false
	last := 0
	for i := 0; i < len(data); i++ {
		c := data[i]
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		if c == '"' {
			inString = true
			continue
		}
		for _, tok := range []string{"-Infinity", "Infinity", "NaN"} {
			if bytes.HasPrefix(data[i:], []byte(tok)) {
				out = append(out, data[last:i]...)
				out = append(out, '"')
				out = append(out, tok...)
				out = append(out, '"')
				i += len(tok) - 1
				last = i + 1
				break
			}
		}
	}
	if out == nil {
		return data
	}
	return append(out, data[last:]...)
}

// referenceDecodeMachine reads one machine's entry. problem, when not empty, says in
// the format's own terms what is wrong with it.
func referenceDecodeMachine(raw json.RawMessage) (id string, n int, mj mixture.MixtureJSON, problem string) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var fields map[string]any
	if err := dec.Decode(&fields); err != nil || fields == nil {
		return "", 0, mj, "entry is not a JSON object"
	}
	switch v := fields["id"].(type) {
	case string:
		id = v
	case nil:
	default:
		return "", 0, mj, "id is not a string"
	}
	if id == "" {
		return "", 0, mj, "missing or empty machine id"
	}
	num, ok := fields["n"].(json.Number)
	if !ok {
		return id, 0, mj, "n (the sample size) is missing or not a number"
	}
	n64, err := strconv.ParseInt(string(num), 10, 0)
	if err != nil {
		return id, 0, mj, fmt.Sprintf("n = %s is not an integer", num)
	}
	n = int(n64)
	if mj.Weights, problem = referenceNumbers(fields["weights"], "weights"); problem != "" {
		return id, n, mj, problem
	}
	means, ok := fields["means"].([]any)
	if !ok {
		return id, n, mj, "means is missing or not an array of arrays"
	}
	for k, m := range means {
		v, problem := referenceNumbers(m, fmt.Sprintf("means[%d]", k))
		if problem != "" {
			return id, n, mj, problem
		}
		mj.Means = append(mj.Means, v)
	}
	covs, ok := fields["covariances"].([]any)
	if !ok {
		return id, n, mj, "covariances is missing or not an array of matrices"
	}
	for k, c := range covs {
		rows, ok := c.([]any)
		if !ok {
			return id, n, mj, fmt.Sprintf("covariances[%d] is not an array of rows", k)
		}
		var cov [][]float64
		for r, row := range rows {
			v, problem := referenceNumbers(row, fmt.Sprintf("covariances[%d][%d]", k, r))
			if problem != "" {
				return id, n, mj, problem
			}
			cov = append(cov, v)
		}
		mj.Covariances = append(mj.Covariances, cov)
	}
	return id, n, mj, ""
}

// numbers reads an array of numbers; NaN and infinities (written as the
// strings referenceQuoteNonFinite makes, or numbers beyond float64's range) are
// kept for validation to reject with a precise reason.
func referenceNumbers(v any, name string) ([]float64, string) {
	arr, ok := v.([]any)
	if !ok {
		return nil, name + " is missing or not an array of numbers"
	}
	out := make([]float64, len(arr))
	for i, x := range arr {
		switch x := x.(type) {
		case json.Number:
			f, err := strconv.ParseFloat(string(x), 64)
			if err != nil && !math.IsInf(f, 0) {
				return nil, fmt.Sprintf("%s[%d] = %s is not a number", name, i, x)
			}
			out[i] = f
		case string:
			switch x {
			case "NaN":
				out[i] = math.NaN()
			case "Infinity":
				out[i] = math.Inf(1)
			case "-Infinity":
				out[i] = math.Inf(-1)
			default:
				return nil, fmt.Sprintf("%s[%d] is the string %q, not a number", name, i, x)
			}
		case nil:
			return nil, fmt.Sprintf("%s[%d] is null, not a number", name, i)
		default:
			return nil, fmt.Sprintf("%s[%d] is not a number", name, i)
		}
	}
	return out, ""
}
