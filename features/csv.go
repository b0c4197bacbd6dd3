package features

import (
	"bytes"
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

// TableOptions says which columns of a text table are not features.
// Columns are named by their header name or by their 0-based index.
type TableOptions struct {
	// LabelColumn, if not empty, is the column of integer labels: it is
	// returned in Table.Labels and left out of the features.
	LabelColumn string
	// Ignore lists further columns to leave out (ids, site names, text).
	Ignore []string
}

// Table is a text table read as observations.
type Table struct {
	X *mat.Dense
	// Labels is the label column, or nil when none was named.
	Labels []int
	// Features names the columns of X: their header names, or "column j"
	// (0-based, counted in the file) without a header.
	Features []string
	// HasHeader reports whether the first line was read as column names.
	HasHeader bool
	// Separator is the field separator found: ',', ';', '\t', or ' ' for
	// runs of spaces and tabs.
	Separator rune
}

// TextColumnError reports a feature column holding something that is not
// a number. Callers name their own way of leaving a column out.
type TextColumnError struct {
	Column string // header name, or "column j" without a header
	Index  int    // 0-based, counted in the file
	Line   int    // 1-based line of the first such value
	Value  string
}

func (e *TextColumnError) Error() string {
	return fmt.Sprintf("column %s holds text, not numbers (%q on line %d)", columnLabel(e.Column, e.Index), e.Value, e.Line)
}

// columnLabel is how messages name a column: its quoted header name and
// index, or only its index.
func columnLabel(name string, index int) string {
	if name == unnamedColumn(index) {
		return name
	}
	return fmt.Sprintf("%q (column %d)", name, index)
}

func unnamedColumn(j int) string { return fmt.Sprintf("column %d", j) }

// sniffLines is how many non-empty lines the separator is chosen from.
const sniffLines = 20

// detectSeparator chooses the field separator as spreadsheets and pandas'
// sniffer do: the first of tab, semicolon and comma that occurs (outside
// quotes) the same number of times on every one of the first lines, and
// runs of blanks when none does. Semicolon comes before comma because
// files written with a decimal comma separate their fields with
// semicolons.
func detectSeparator(lines []string) rune {
	for _, sep := range []rune{'\t', ';', ','} {
		count := -1
		consistent := true
		for _, l := range lines {
			c := countOutsideQuotes(l, sep)
			if count < 0 {
				count = c
			}
			if c == 0 || c != count {
				consistent = false
				break
			}
		}
		if consistent && count > 0 {
			return sep
		}
	}
	// A lone tab or comma on some lines but not others is still more
	// likely the separator of a ragged file than blanks are: the ragged
	// rows are then reported by line.
	for _, sep := range []rune{'\t', ';', ','} {
		if len(lines) > 0 && countOutsideQuotes(lines[0], sep) > 0 {
			return sep
		}
	}
	return ' '
}

func countOutsideQuotes(line string, sep rune) int {
	n, quoted := 0, false
	for _, r := range line {
		switch {
		case r == '"':
			quoted = !quoted
		case r == sep && !quoted:
			n++
		}
	}
	return n
}

// record is one row of fields and the line it starts on.
type record struct {
	fields []string
	line   int
}

// splitRecords reads every non-empty row of text with the separator sep
// (quoted fields allowed except with blanks).
func splitRecords(text []byte, sep rune) ([]record, error) {
	var out []record
	if sep == ' ' {
		for i, l := range strings.Split(string(text), "\n") {
			f := strings.Fields(l)
			if len(f) > 0 {
				out = append(out, record{fields: f, line: i + 1})
			}
		}
		return out, nil
	}
	cr := csv.NewReader(bytes.NewReader(text))
	cr.Comma = sep
	cr.TrimLeadingSpace = true
	cr.FieldsPerRecord = -1 // checked by the caller, with the line named
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		line, _ := cr.FieldPos(0)
		for j := range rec {
			rec[j] = strings.TrimSpace(rec[j])
		}
		out = append(out, record{fields: rec, line: line})
	}
}

// parseNumber reads a feature value; with a semicolon separator a decimal
// comma (1,5) is read as a decimal point, as spreadsheets write it.
func parseNumber(s string, sep rune) (float64, error) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil && sep == ';' && strings.Count(s, ",") == 1 && !strings.Contains(s, ".") {
		return strconv.ParseFloat(strings.Replace(s, ",", ".", 1), 64)
	}
	return v, err
}

// ParseTable reads observations from a text table. The separator (comma,
// semicolon, tab, or blanks) is found from the first lines. The first line
// is a header when one of its fields is not a number where the next line
// holds one (or when none of its fields is a number). Every row must have
// the first row's number of fields; a column holding text is refused by
// name (a *TextColumnError) unless opt leaves it out; every feature must
// be finite: the same validation as a .npy file.
func ParseTable(r io.Reader, opt TableOptions) (*Table, error) {
	text, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	text = bytes.TrimPrefix(text, []byte("\ufeff")) // spreadsheets' byte order mark
	var sample []string
	for _, l := range strings.Split(string(text), "\n") {
		if l = strings.TrimRight(l, "\r"); strings.TrimSpace(l) != "" {
			sample = append(sample, l)
			if len(sample) == sniffLines {
				break
			}
		}
	}
	if len(sample) == 0 {
		return nil, errors.New("no rows")
	}
	sep := detectSeparator(sample)
	records, err := splitRecords(text, sep)
	if err != nil {
		return nil, fmt.Errorf("not a %s table: %w", separatorName(sep), err)
	}
	if len(records) == 0 {
		return nil, errors.New("no rows")
	}
	t := &Table{Separator: sep}
	width := len(records[0].fields)
	var header []string
	if isHeader(records, sep) {
		header = records[0].fields
		records = records[1:]
		t.HasHeader = true
	}
	if len(records) == 0 {
		return nil, errors.New("a header but no observations")
	}
	names := make([]string, width)
	for j := range names {
		names[j] = unnamedColumn(j)
		if header != nil && header[j] != "" {
			names[j] = header[j]
		}
	}
	find := func(col string) (int, error) {
		for j, name := range header {
			if name == col {
				return j, nil
			}
		}
		if j, err := strconv.Atoi(col); err == nil && j >= 0 && j < width {
			return j, nil
		}
		if header == nil {
			return 0, fmt.Errorf("column %q: the table has no header (its first line is numbers), so name columns by 0-based index below %d", col, width)
		}
		return 0, fmt.Errorf("column %q is neither a header name (%s) nor a 0-based index below %d", col, strings.Join(header, ", "), width)
	}
	label := -1
	if opt.LabelColumn != "" {
		if label, err = find(opt.LabelColumn); err != nil {
			return nil, fmt.Errorf("label %w", err)
		}
	}
	skip := make([]bool, width)
	for _, col := range opt.Ignore {
		j, err := find(col)
		if err != nil {
			return nil, fmt.Errorf("ignored %w", err)
		}
		skip[j] = true
	}
	var keep []int
	for j := 0; j < width; j++ {
		if j != label && !skip[j] {
			keep = append(keep, j)
			t.Features = append(t.Features, names[j])
		}
	}
	if len(keep) == 0 {
		return nil, errors.New("no feature columns left")
	}
	t.X = mat.NewDense(len(records), len(keep), nil)
	for i, rec := range records {
		if len(rec.fields) != width {
			return nil, fmt.Errorf("line %d has %d fields, the first row %d", rec.line, len(rec.fields), width)
		}
		if label >= 0 {
			f := rec.fields[label]
			v, err := strconv.Atoi(f)
			if err != nil {
				return nil, fmt.Errorf("line %d: label %q is not an integer", rec.line, f)
			}
			t.Labels = append(t.Labels, v)
		}
		row := t.X.RawRowView(i)
		for c, j := range keep {
			v, err := parseNumber(rec.fields[j], sep)
			if err != nil {
				if isNonFinite(rec.fields[j]) {
					v = math.NaN() // refused below with the others, by row
				} else {
					return nil, &TextColumnError{Column: names[j], Index: j, Line: rec.line, Value: rec.fields[j]}
				}
			}
			row[c] = v
		}
	}
	if err := checkFinite(t.X); err != nil {
		return nil, err
	}
	return t, nil
}

// isNonFinite reports spellings of NaN and infinity ParseFloat does not
// take (such as an empty field or NA), so that they are refused as missing
// values rather than as text.
func isNonFinite(s string) bool {
	switch strings.ToLower(s) {
	case "", "na", "n/a", "null", "none", "-nan":
		return true
	}
	return false
}

// isHeader reports whether the first record names the columns: some field
// of it is not a number while the field below it is, or none of its
// fields is a number. A text column therefore does not make its first
// value a header.
func isHeader(records []record, sep rune) bool {
	first := records[0].fields
	numbers := 0
	for _, f := range first {
		if _, err := parseNumber(f, sep); err == nil {
			numbers++
		}
	}
	if numbers == len(first) {
		return false
	}
	if numbers == 0 || len(records) == 1 {
		return true
	}
	second := records[1].fields
	for j, f := range first {
		if j >= len(second) {
			break
		}
		_, errFirst := parseNumber(f, sep)
		_, errSecond := parseNumber(second[j], sep)
		if errFirst != nil && errSecond == nil {
			return true
		}
	}
	return false
}

func separatorName(sep rune) string {
	switch sep {
	case ',':
		return "comma-separated"
	case ';':
		return "semicolon-separated"
	case '\t':
		return "tab-separated"
	}
	return "blank-separated"
}

// ParseCSV reads a text table as ParseTable does, with labelColumn (if
// not empty) as the label column, and returns the features and labels.
func ParseCSV(r io.Reader, labelColumn string) (*mat.Dense, []int, error) {
	t, err := ParseTable(r, TableOptions{LabelColumn: labelColumn})
	if err != nil {
		return nil, nil, err
	}
	return t.X, t.Labels, nil
}

// isText reports whether path names a text table (.csv, .tsv or .txt).
func isText(path string) bool {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv", ".tsv", ".txt":
		return true
	}
	return false
}

// ReadObservations reads features from a .npy file (Features nil), or
// from a .csv, .tsv or .txt table read by ParseTable with opt.
func ReadObservations(path string, opt TableOptions) (*Table, error) {
	if !isText(path) {
		if opt.LabelColumn != "" || len(opt.Ignore) > 0 {
			return nil, fmt.Errorf("%s: columns can only be named or left out in a .csv, .tsv or .txt table", path)
		}
		X, err := ReadMatrix(path)
		if err != nil {
			return nil, err
		}
		return &Table{X: X}, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	t, err := ParseTable(f, opt)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
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
