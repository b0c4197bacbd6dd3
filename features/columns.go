package features

import (
	"fmt"
	"os"
	"strings"

	"gonum.org/v1/gonum/mat"
)

// notFeatureNames are header names that usually hold labels or ids rather
// than measurements: fitting them as a feature is almost always a mistake.
var notFeatureNames = map[string]bool{
	"label": true, "labels": true, "class": true, "classes": true, "target": true, "id": true, "ids": true,
	"site": true, "machine": true, "digit": true, "category": true, "cluster": true, "group": true, "index": true,
}

// SuspectColumns returns the table's feature columns named like labels or
// ids (label, class, id, site, ...), in order.
func (t *Table) SuspectColumns() []string {
	var out []string
	for _, name := range t.Features {
		if notFeatureNames[strings.ToLower(strings.TrimSpace(name))] {
			out = append(out, name)
		}
	}
	return out
}

// DescribeColumns names a table's feature columns for a message, the
// first few and how many more, as " (a, b, c and 4 more)"; "" without a
// header.
func (t *Table) DescribeColumns() string {
	if !t.HasHeader {
		return ""
	}
	const shown = 6
	names := t.Features
	more := ""
	if len(names) > shown {
		more = fmt.Sprintf(" and %d more", len(names)-shown)
		names = names[:shown]
	}
	return " (" + strings.Join(names, ", ") + more + ")"
}

// ReadObservationsOrSet reads the observations of path: a table or .npy
// file (ReadObservations, leaving out labelColumn if named), or a features
// folder's training digits.
func ReadObservationsOrSet(path, labelColumn string) (*mat.Dense, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		X, _, err := ReadSet(path, DigitsTrain)
		return X, err
	}
	t, err := ReadObservations(path, TableOptions{LabelColumn: labelColumn})
	if err != nil {
		return nil, err
	}
	return t.X, nil
}
