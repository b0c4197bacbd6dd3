package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/nistgmm/nistgmm/features"
)

// columnList is a flag naming columns, comma-separated, that may also be
// given several times (as pandas' usecols takes a list).
type columnList []string

func (c *columnList) String() string { return strings.Join(*c, ",") }

func (c *columnList) Set(v string) error {
	for _, name := range strings.Split(v, ",") {
		if name = strings.TrimSpace(name); name != "" {
			*c = append(*c, name)
		}
	}
	return nil
}

// tableFlags are the flags that say which columns of a text table are not
// features, shared by fit-local and score.
type tableFlags struct {
	labelColumn string
	ignore      columnList
}

func (t *tableFlags) register(fs *flag.FlagSet, labelUsage string) {
	fs.StringVar(&t.labelColumn, "label-column", "", labelUsage)
	fs.Var(&t.ignore, "ignore-columns", "columns of a table to leave out of the features (ids, site names, any text), by header name or "+
		"0-based index: comma-separated `NAMES`, and the flag may be repeated")
}

// read reads the observations of path, turning a text column's error into
// one that says how to leave it out.
func (t *tableFlags) read(flagName, path string) (*features.Table, error) {
	tab, err := features.ReadObservations(path, features.TableOptions{LabelColumn: t.labelColumn, Ignore: t.ignore})
	var textErr *features.TextColumnError
	if errors.As(err, &textErr) {
		return nil, fmt.Errorf("--%s: %w; if it is not a feature, pass --ignore-columns %s (or --label-column %s if it holds "+
			"integer labels)", flagName, err, shellWord(textErr.Column), shellWord(textErr.Column))
	}
	if err != nil {
		return nil, fmt.Errorf("--%s: %w", flagName, err)
	}
	return tab, nil
}

// shellWord quotes a column name for a command line when it needs it.
// Unnamed columns ("column 3") are named by their index.
func shellWord(name string) string {
	if idx, ok := strings.CutPrefix(name, "column "); ok && !strings.ContainsAny(idx, " \t") {
		return idx
	}
	if name != "" && !strings.ContainsAny(name, " \t'\"$`\\;&|<>()*?[]{}!#~") {
		return name
	}
	return "'" + strings.ReplaceAll(name, "'", `'\''`) + "'"
}

// notFeatureNames are header names that usually hold labels or ids rather
// than measurements: fitting them as a feature is almost always a mistake.
var notFeatureNames = map[string]bool{
	"label": true, "labels": true, "class": true, "classes": true, "target": true, "id": true, "ids": true,
	"site": true, "machine": true, "digit": true, "category": true, "cluster": true, "group": true, "index": true,
}

// warnSuspectColumns says on w which fitted columns are named like labels
// or ids, and how to leave them out.
func warnSuspectColumns(w io.Writer, flagName string, tab *features.Table) {
	for _, name := range tab.Features {
		if notFeatureNames[strings.ToLower(strings.TrimSpace(name))] {
			fmt.Fprintf(w, "warning: column %q of --%s is used as a feature; if it holds labels pass --label-column %s, "+
				"if ids --ignore-columns %s\n", name, flagName, shellWord(name), shellWord(name))
		}
	}
}

// describeColumns names a table's feature columns for a message, the
// first few and how many more.
func describeColumns(tab *features.Table) string {
	if !tab.HasHeader {
		return ""
	}
	const shown = 6
	names := tab.Features
	more := ""
	if len(names) > shown {
		more = fmt.Sprintf(" and %d more", len(names)-shown)
		names = names[:shown]
	}
	return " (" + strings.Join(names, ", ") + more + ")"
}

// quotedIDs lists ids quoted for a message, at most limit of them and how
// many more.
func quotedIDs(ids []string, limit int, quote func(string) string) string {
	if len(ids) == 0 {
		return "none"
	}
	var parts []string
	for i, id := range ids {
		if i == limit {
			parts = append(parts, fmt.Sprintf("and %d more", len(ids)-limit))
			break
		}
		parts = append(parts, quote(id))
	}
	return strings.Join(parts, ", ")
}
