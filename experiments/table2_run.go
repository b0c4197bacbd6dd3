package experiments

import (
	"context"
	"reflect"

	"github.com/nistgmm/nistgmm/federated/adversary"
)

// Table2Setup is what must not change between a Table 2 run and its
// resumption.
type Table2Setup struct {
	Config   Table2Config `json:"config"`
	Reps     int          `json:"reps"`
	Features string       `json:"features"` // manifest checksum or folder of the features used
}

// table2Store checkpoints Table 2 runs. Setups compare without what does
// not affect results (workers, repetitions asked for).
var table2Store = store[Table2Setup, Table2Rep]{
	same: func(a, b Table2Setup) bool {
		a.Config.Workers, b.Config.Workers = 0, 0
		a.Reps, b.Reps = 0, 0
		return reflect.DeepEqual(a, b)
	},
	reps:          func(s Table2Setup) int { return s.Reps },
	withoutTiming: Table2Rep.withoutTiming,
}

// RepIndex is the repetition's number.
func (r Table2Rep) RepIndex() int { return r.Rep }

// withoutTiming returns a copy of r with every timing zeroed.
func (r Table2Rep) withoutTiming() Table2Rep {
	r.Timing = Timing{}
	r.Alphas = append([]AlphaResult(nil), r.Alphas...)
	for i := range r.Alphas {
		r.Alphas[i].DistanceSeconds = 0
		r.Alphas[i].Methods = append([]MethodResult(nil), r.Alphas[i].Methods...)
		for j := range r.Alphas[i].Methods {
			r.Alphas[i].Methods[j].Seconds = 0
		}
	}
	return r
}

// Table2Work lists the units of work of one Table 2 repetition.
func Table2Work(c Table2Config) []WorkKind {
	local := float64(c.NTotal) / float64(max(c.Machines, 1))
	byzantine := 1.0 // crafting from an honest fit costs next to nothing
	if c.Failure == adversary.Letters {
		byzantine = float64(c.LettersN)
	}
	return []WorkKind{
		{Kind: WorkLocalFit, PerRep: c.Machines, Cost: local},
		{Kind: WorkByzantineFit, PerRep: c.maxByzantine(), Cost: byzantine},
		{Kind: WorkRound, PerRep: len(c.Alphas), Cost: roundCostInFits * local},
	}
}

// Reproduce runs the repetitions 0..setup.Reps-1 (of opt.Shard) that dir
// does not hold yet, checkpointing each, and returns all of them in order.
// Cancelling ctx stops it after the repetitions in flight; what finished is
// kept.
func Reproduce(ctx context.Context, d *Data, setup Table2Setup, dir string, opt Options) ([]Table2Rep, error) {
	cfg := setup.Config
	cfg.Workers = 1
	return run(ctx, table2Store, dir, setup, opt, func(ctx context.Context, rep int) (Table2Rep, error) {
		res, err := RunTable2Repetition(ctx, d, cfg, rep, opt.Step)
		if err != nil {
			return Table2Rep{}, err
		}
		return *res, nil
	})
}

// Table2Finished counts the repetitions of the shard already in dir.
func Table2Finished(dir string, setup Table2Setup, shard Shard) int {
	return table2Store.finished(dir, setup, shard)
}

// MergeTable2 reads the checkpoints of the shard folders of one Table 2
// run, checks that they belong to one experiment and together hold each
// repetition once, and returns the setup and the repetitions as an
// unsharded run returns them.
func MergeTable2(dirs []string) (Table2Setup, []Table2Rep, error) { return table2Store.merge(dirs) }

// WriteTable2Checkpoint writes setup and reps as the checkpoint of dir,
// as a run that made them would have.
func WriteTable2Checkpoint(dir string, setup Table2Setup, reps []Table2Rep) error {
	return table2Store.write(dir, setup, reps)
}
