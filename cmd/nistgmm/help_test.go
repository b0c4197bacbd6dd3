package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// helpOf runs a command with -h and returns what it printed on stdout
// and on stderr.
func helpOf(t *testing.T, run func(context.Context, []string) error, args ...string) (stdout, stderr string) {
	t.Helper()
	stderr = captureFile(t, &os.Stderr, func() {
		stdout = captureFile(t, &os.Stdout, func() {
			if err := run(context.Background(), append(args, "-h")); !errors.Is(err, errHelp) {
				t.Errorf("%v -h: %v, want the help signal (exit 0)", args, err)
			}
		})
	})
	return stdout, stderr
}

// Help that was asked for is output: on stdout, for every command, so that
// `nistgmm reproduce -h | less` shows it.
func TestHelpGoesToStdout(t *testing.T) {
	for name, c := range commands {
		stdout, stderr := helpOf(t, c.run)
		if !strings.HasPrefix(stdout, "usage: nistgmm "+name) || stderr != "" {
			t.Errorf("%s -h: stdout %.40q, stderr %.40q", name, stdout, stderr)
		}
	}
	stdout, _ := helpOf(t, cmdSimulate, "mixture")
	if !strings.HasPrefix(stdout, "usage: nistgmm simulate mixture") {
		t.Errorf("simulate mixture -h: stdout %.40q", stdout)
	}
	var b strings.Builder
	usage(&b)
	if !strings.Contains(b.String(), "fit-local") {
		t.Errorf("usage: %q", b.String())
	}
}

// Help explains what a flag needs in place, or names the docs/ page that
// does; it never sends the reader to the README as a whole, and every page
// it names exists.
func TestHelpNamesPagesThatExist(t *testing.T) {
	page := regexp.MustCompile(`docs/[a-z0-9-]+\.md`)
	for name, c := range commands {
		stdout, _ := helpOf(t, c.run)
		if strings.Contains(stdout, "README") {
			t.Errorf("%s -h sends the reader to the README", name)
		}
		for _, p := range page.FindAllString(stdout, -1) {
			if _, err := os.Stat(filepath.Join("..", "..", p)); err != nil {
				t.Errorf("%s -h names %s: %v", name, p, err)
			}
		}
	}
	stdout, _ := helpOf(t, cmdAggregate)
	for _, want := range []string{"q25 the median distance to COAT", "reward broadness", "docs/threat-model.md"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("aggregate -h does not explain %q", want)
		}
	}
	stdout, _ = helpOf(t, cmdReproduce)
	for _, want := range []string{"sbatch --array=0-9 deploy/slurm/reproduce.sbatch", "overfit", "1.6 to 2.4 hours"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("reproduce -h does not explain %q", want)
		}
	}
}

// A switch is listed without a value placeholder: flag prints the first
// `quoted` word of a usage as the value's name, even for a boolean.
func TestHelpShowsNoValueForSwitches(t *testing.T) {
	for name, c := range commands {
		stdout, _ := helpOf(t, c.run)
		for _, line := range strings.Split(stdout, "\n") {
			if !strings.HasPrefix(line, "  -") {
				continue
			}
			flagName, rest, _ := strings.Cut(strings.TrimPrefix(line, "  -"), " ")
			if isSwitch(t, c.run, flagName) && rest != "" {
				t.Errorf("%s -h lists the switch as %q", name, line)
			}
		}
	}
}

// isSwitch reports whether a command's flag is a boolean, from the error
// that a value no flag type takes gives (the -h after it stops any command
// that would accept the value).
func isSwitch(t *testing.T, run func(context.Context, []string) error, name string) bool {
	t.Helper()
	var err error
	captureFile(t, &os.Stdout, func() {
		err = run(context.Background(), []string{"--" + name + "=maybe", "-h"})
	})
	return err != nil && strings.Contains(err.Error(), "invalid boolean value")
}
