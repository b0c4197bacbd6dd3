package features

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/mat"
)

// ParseCSV reads observations from comma- or tab-separated text (the
// delimiter is the first line's: a tab if it holds one), with an optional
// header (a first line with a field that is not a number). labelColumn, if
// not empty, names the column holding integer labels, by its header name or
// by its 0-based index; the other columns are the features. Every row must
// have the first row's number of fields and every feature must be finite:
// the same validation as a .npy file.
func ParseCSV(r io.Reader, labelColumn string) (*mat.Dense, []int, error) {
	br := bufio.NewReader(r)
	first, err := br.Peek(4096)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, nil, err
	}
	line := string(first)
	if i := strings.IndexAny(line, "\r\n"); i >= 0 {
		line = line[:i]
	}
	cr := csv.NewReader(br)
	cr.Comma = ','
	if strings.Contains(line, "\t") {
		cr.Comma = '\t'
	}
	cr.TrimLeadingSpace = true
	cr.FieldsPerRecord = -1 // checked below, with the line named
	records, err := cr.ReadAll()
	if err != nil {
		return nil, nil, fmt.Errorf("not comma- or tab-separated text: %w", err)
	}
	if len(records) == 0 {
		return nil, nil, errors.New("no rows")
	}
	var header []string
	for _, f := range records[0] {
		if _, err := strconv.ParseFloat(strings.TrimSpace(f), 64); err != nil {
			header = records[0]
			records = records[1:]
			break
		}
	}
	if len(records) == 0 {
		return nil, nil, errors.New("a header but no observations")
	}
	width := len(records[0])
	label := -1
	if labelColumn != "" {
		for j, name := range header {
			if strings.TrimSpace(name) == labelColumn {
				label = j
			}
		}
		if label < 0 {
			if j, err := strconv.Atoi(labelColumn); err == nil && j >= 0 && j < width {
				label = j
			} else {
				return nil, nil, fmt.Errorf("label column %q is neither a header name nor a column index below %d", labelColumn, width)
			}
		}
	}
	d := width
	if label >= 0 {
		d--
	}
	if d == 0 {
		return nil, nil, errors.New("no feature columns")
	}
	line0 := 1
	if header != nil {
		line0 = 2
	}
	X := mat.NewDense(len(records), d, nil)
	var y []int
	for i, rec := range records {
		if len(rec) != width {
			return nil, nil, fmt.Errorf("line %d has %d fields, the first row %d", line0+i, len(rec), width)
		}
		row := X.RawRowView(i)
		c := 0
		for j, f := range rec {
			f = strings.TrimSpace(f)
			if j == label {
				v, err := strconv.Atoi(f)
				if err != nil {
					return nil, nil, fmt.Errorf("line %d: label %q is not an integer", line0+i, f)
				}
				y = append(y, v)
				continue
			}
			v, err := strconv.ParseFloat(f, 64)
			if err != nil {
				return nil, nil, fmt.Errorf("line %d, column %d: %q is not a number", line0+i, j, f)
			}
			row[c] = v
			c++
		}
	}
	if err := checkFinite(X); err != nil {
		return nil, nil, err
	}
	return X, y, nil
}

// isText reports whether path names a text table (.csv, .tsv or .txt).
func isText(path string) bool {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv", ".tsv", ".txt":
		return true
	}
	return false
}

// ReadObservations reads features from a .npy file, or from a .csv, .tsv
// or .txt table (see ParseCSV) whose labelColumn, if named, holds labels
// (returned; nil otherwise).
func ReadObservations(path, labelColumn string) (*mat.Dense, []int, error) {
	if !isText(path) {
		if labelColumn != "" {
			return nil, nil, fmt.Errorf("%s: a label column can only be named in a .csv, .tsv or .txt table", path)
		}
		X, err := ReadMatrix(path)
		return X, nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	X, y, err := ParseCSV(f, labelColumn)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return X, y, nil
}

// ReadLabelsFile reads labels from a 1-D integer .npy file or from a
// one-column text table (optional header).
func ReadLabelsFile(path string) ([]int, error) {
	if !isText(path) {
		return ReadLabels(path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	X, _, err := ParseCSV(f, "")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	n, d := X.Dims()
	if d != 1 {
		return nil, fmt.Errorf("%s: %d columns, want one column of labels", path, d)
	}
	y := make([]int, n)
	for i := range y {
		v := X.At(i, 0)
		if v != math.Trunc(v) || math.Abs(v) > 1<<53 {
			return nil, fmt.Errorf("%s: line %d: label %v is not an integer", path, i+1, v)
		}
		y[i] = int(v)
	}
	return y, nil
}
