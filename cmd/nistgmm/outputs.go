package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/nistgmm/nistgmm/internal/atomicfile"
)

// output is one file an experiment writes into its folder: a text written
// through a writer (atomically) or a plot saved at a path.
type output struct {
	name  string
	text  func(io.Writer) error
	image func(path string) error
}

// writeOutputs writes the outputs and command.txt in dir, in order, and
// says so on stderr.
func writeOutputs(dir, command string, outs []output) error {
	var names []string
	for _, o := range outs {
		path := filepath.Join(dir, o.name)
		var err error
		if o.text != nil {
			err = atomicfile.WriteFile(path, o.text)
		} else {
			err = o.image(path)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		names = append(names, o.name)
	}
	if err := writeCommand(dir, command); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "wrote %s and command.txt in %s\n", strings.Join(names, ", "), dir)
	return nil
}
