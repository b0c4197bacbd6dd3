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

// warnSuspectColumns says on w which fitted columns are named like labels
// or ids, and how to leave them out.
func warnSuspectColumns(w io.Writer, flagName string, tab *features.Table) {
	for _, name := range tab.SuspectColumns() {
		fmt.Fprintf(w, "warning: column %q of --%s is used as a feature; if it holds labels pass --label-column %s, "+
			"if ids --ignore-columns %s\n", name, flagName, shellWord(name), shellWord(name))
	}
}
