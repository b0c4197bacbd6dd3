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

// newWorkBar is progress.NewWork over an experiment's kinds of work, quiet
// with --quiet.
func newWorkBar(what string, reps int, kinds []experiments.WorkKind) (*progress.Report, func(experiments.Work)) {
	p, add := progress.NewWork(what, reps, workKinds(kinds), quietProgress)
	return p, func(u experiments.Work) { add(u.Kind, u.Seconds) }
}

// workKinds are an experiment's kinds of work as progress counts them.
func workKinds(kinds []experiments.WorkKind) []progress.Kind {
	out := make([]progress.Kind, len(kinds))
	for i, k := range kinds {
		out[i] = progress.Kind{Name: k.Kind, PerRep: k.PerRep, Cost: k.Cost}
	}
	return out
}
