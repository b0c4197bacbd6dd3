package main

import (
	"errors"
	"flag"
	"fmt"
	"strings"
)

// errHelp reports that -h was asked for; main exits 0 on it.
var errHelp = flag.ErrHelp

// newFlagSet returns a flag set whose -h prints the command's synopsis, its
// one-line description and its flags.
func newFlagSet(name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "usage: nistgmm %s %s\n\n%s.\n\nflags:\n", name, synopsis, commands[name].summary)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args and rejects positional arguments, which no
// command takes (a forgotten "--" before a flag is the usual cause).
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q: %s takes only flags (see nistgmm %s -h)", fs.Arg(0), fs.Name(), fs.Name())
	}
	return nil
}

// required reports the first of the named string flags left empty, with
// its help text, so the user learns what to give rather than that a file
// named "" does not exist.
func required(fs *flag.FlagSet, names ...string) error {
	var missing []string
	for _, n := range names {
		if f := fs.Lookup(n); f != nil && f.Value.String() == "" {
			missing = append(missing, fmt.Sprintf("--%s (%s)", n, f.Usage))
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return errors.New("missing " + strings.Join(missing, ", ") + fmt.Sprintf("; see nistgmm %s -h", fs.Name()))
}
