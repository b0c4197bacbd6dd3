package experiments

import (
	"context"
	"reflect"
)

// SimSetup is what must not change between a simulation run and its
// resumption.
type SimSetup struct {
	Config SimConfig `json:"simulation"`
	Reps   int       `json:"reps"`
}

var simStore = store[SimSetup, SimRep]{
	same: func(a, b SimSetup) bool {
		a.Config.Workers, b.Config.Workers = 0, 0
		a.Reps, b.Reps = 0, 0
		return reflect.DeepEqual(a, b)
	},
	reps: func(s SimSetup) int { return s.Reps },
	withoutTiming: func(r SimRep) SimRep {
		r.FitSeconds, r.AggregationSeconds = 0, 0
		return r
	},
}

// Simulate runs the repetitions 0..setup.Reps-1 (of opt.Shard) that dir
// does not hold yet, checkpointing each, and returns all of them in order.
// Cancelling ctx stops it after the repetitions in flight; what finished is
// kept, and running it again resumes with identical numbers.
func Simulate(ctx context.Context, setup SimSetup, dir string, opt Options) ([]SimRep, error) {
	cfg := setup.Config
	cfg.Workers = 1
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return run(ctx, simStore, dir, setup, opt, func(ctx context.Context, rep int) (SimRep, error) {
		res, err := RunSimRepetition(ctx, cfg, rep, opt.Step)
		if err != nil {
			return SimRep{}, err
		}
		return *res, nil
	})
}

// SimFinished counts the repetitions of the shard already in dir.
func SimFinished(dir string, setup SimSetup, shard Shard) int {
	return simStore.finished(dir, setup, shard)
}

// MergeSimulation reads the checkpoints of the shard folders of one
// simulation run and returns the setup and the repetitions as an unsharded
// run returns them.
func MergeSimulation(dirs []string) (SimSetup, []SimRep, error) { return simStore.merge(dirs) }

// WriteSimCheckpoint writes setup and reps as the checkpoint of dir.
func WriteSimCheckpoint(dir string, setup SimSetup, reps []SimRep) error {
	return simStore.write(dir, setup, reps)
}

// IsSimulation reports whether an experiment folder holds a simulation
// (rather than a Table 2) run.
func IsSimulation(dir string) bool {
	s, err := simStore.readSetup(dir)
	return err == nil && s.Reps > 0 && len(s.Config.Ms) > 0
}
