package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// errHelp reports that -h was asked for; main exits 0 on it.
var errHelp = flag.ErrHelp

// newFlagSet returns a flag set whose -h prints the command's synopsis, its
// one-line description and its flags. Every command takes --quiet.
func newFlagSet(name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "usage: nistgmm %s %s\n\n%s.\n\nflags:\n", name, synopsis, commands[name].summary)
		fs.PrintDefaults()
	}
	fs.Bool("quiet", false, "no progress report on stderr (warnings and errors are still printed)")
	return fs
}

// parseFlags parses args and rejects positional arguments, which no
// command takes (a forgotten "--" before a flag is the usual cause). A
// parse error comes back once, with the closest flag name and where to
// find the others, instead of the whole usage; -h prints the usage.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := parseFlagsAndArgs(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q: %s takes only flags (see nistgmm %s -h)", fs.Arg(0), fs.Name(), fs.Name())
	}
	return nil
}

// parseFlagsAndArgs is parseFlags for a command that takes arguments after
// its flags (merge's folders).
func parseFlagsAndArgs(fs *flag.FlagSet, args []string) error {
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	fs.SetOutput(os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		// Asked-for help is the command's output, so it goes to stdout
		// (nistgmm run -h | less) and main exits 0, as Go's own tools do.
		fs.SetOutput(os.Stdout)
		fs.Usage()
		return err
	}
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), "flag ")
		if name, ok := strings.CutPrefix(err.Error(), "flag provided but not defined: -"); ok {
			msg = fmt.Sprintf("unknown flag --%s", strings.TrimLeft(name, "-"))
			if best := closestFlag(fs, strings.TrimLeft(name, "-")); best != "" {
				msg += fmt.Sprintf("; did you mean --%s?", best)
			}
		}
		return fmt.Errorf("%s (nistgmm %s -h lists every flag)", msg, fs.Name())
	}
	quietProgress = fs.Lookup("quiet") != nil && fs.Lookup("quiet").Value.String() == "true"
	return nil
}

// closestFlag returns the flag name nearest to name by edit distance, if
// it is near enough to be a typo (at most a third of the name's length,
// and at most 3 edits), or a flag that name is a prefix of.
func closestFlag(fs *flag.FlagSet, name string) string {
	best, bestD := "", 4
	fs.VisitAll(func(f *flag.Flag) {
		d := editDistance(name, f.Name)
		if strings.HasPrefix(f.Name, name) && len(name) >= 3 {
			d = min(d, 1)
		}
		if d < bestD && d <= max(1, len(name)/3) {
			best, bestD = f.Name, d
		}
	})
	return best
}

// editDistance is the optimal string alignment distance between a and b:
// insertions, deletions, substitutions and swaps of neighbours cost 1.
func editDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
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
