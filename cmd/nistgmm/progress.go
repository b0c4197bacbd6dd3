package main

import (
	"github.com/nistgmm/nistgmm/experiments"
	"github.com/nistgmm/nistgmm/internal/progress"
)

// quietProgress silences progress reports; parseFlags sets it from the
// --quiet flag every command has. It is the command's only setting that
// is not passed down explicitly: every long step reports progress.
var quietProgress bool

// newBar is progress.NewBar, quiet with --quiet.
func newBar(total int, what string) (*progress.Report, func(int)) {
	return progress.NewBar(total, what, quietProgress)
}

// newWorkBar is progress.NewWork, quiet with --quiet.
func newWorkBar(what string, reps int, kinds []experiments.WorkKind) (*progress.Report, func(experiments.Work)) {
	return progress.NewWork(what, reps, kinds, quietProgress)
}
