package server

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/nistgmm/nistgmm/federated/internal/kernel"
)

// Aggregate applies method. byzantine lists the estimates known to be
// Byzantine and is read only by Oracle. Invalid estimates are always among
// the flagged ones.
func (r *Round) Aggregate(ctx context.Context, method Method, byzantine []int) (*Result, error) {
	for _, k := range methodKinds() {
		if k.name == method {
			res, err := k.aggregate(ctx, r, byzantine)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", method, err)
			}
			res.Method = method
			return res, nil
		}
	}
	return nil, fmt.Errorf("unknown method %q", method)
}

// reduced is the Result of reducing counted (every machine that
// counts, each once), reporting kept as kept and flagged (and every invalid
// estimate) as flagged.
func (r *Round) reduced(ctx context.Context, counted, kept, flagged []int) (*Result, error) {
	mix, obj, err := r.reduce(ctx, counted)
	if err != nil {
		return nil, err
	}
	return &Result{Mixture: mix, Kept: kept, Flagged: r.withInvalid(flagged), Objective: obj}, nil
}

func aggregateCOAT(_ context.Context, r *Round, _ []int) (*Result, error) {
	// A single estimate is not a filter: COAT judges no machine, so only
	// the invalid ones count as flagged.
	return &Result{Mixture: r.Estimates[r.Coat].Mixture.Clone(), Kept: []int{r.Coat}, Flagged: r.withInvalid(nil)}, nil
}

func aggregateGMR(ctx context.Context, r *Round, _ []int) (*Result, error) {
	all := append([]int(nil), r.Valid...)
	return r.reduced(ctx, all, all, nil)
}

func aggregateCRED(ctx context.Context, r *Round, _ []int) (*Result, error) {
	// The round-off floor keeps identical estimates together here too.
	radius := math.Max(r.Radius, kernel.Distance(r.Distance).RoundOff())
	counted, kept, out := r.ball(radius)
	res, err := r.reduced(ctx, counted, kept, out)
	if err != nil {
		return nil, err
	}
	res.Radius = radius
	return res, nil
}

func aggregateARED(ctx context.Context, r *Round, _ []int) (*Result, error) {
	counted, kept, out, radius, warning, err := r.aredBall()
	if err != nil {
		return nil, err
	}
	res, err := r.reduced(ctx, counted, kept, out)
	if err != nil {
		return nil, err
	}
	res.Radius, res.Warning = radius, warning
	if r.server.Unhardened {
		return res, nil
	}
	// The reduction of the ball is the reference of the componentwise
	// combination over every counted estimate.
	var voters []int
	for a, i := range r.Valid {
		if r.voter[a] {
			voters = append(voters, i)
		}
	}
	if res.Mixture, res.Slots, err = r.combineSlots(ctx, res.Mixture, voters); err != nil {
		return nil, err
	}
	// The flags are the verdicts, judged against the answer: evidence with
	// a controlled rate of false accusations, apart from what the answer
	// left out.
	if res.Verdicts, err = r.verdicts(ctx, res.Mixture); err != nil {
		return nil, err
	}
	var flagged []int
	for _, v := range res.Verdicts {
		if v.Flagged {
			flagged = append(flagged, v.Index)
		}
	}
	res.Flagged = r.withInvalid(flagged)
	return res, nil
}

func aggregateOracle(ctx context.Context, r *Round, byzantine []int) (*Result, error) {
	bad := map[int]bool{}
	for _, b := range byzantine {
		bad[b] = true
	}
	var kept, flagged []int
	for _, i := range r.Valid {
		if bad[i] {
			flagged = append(flagged, i)
		} else {
			kept = append(kept, i)
		}
	}
	if len(kept) == 0 {
		return nil, errors.New("every valid estimate is Byzantine")
	}
	return r.reduced(ctx, kept, kept, flagged)
}

func aggregateTRIM(ctx context.Context, r *Round, _ []int) (*Result, error) {
	return r.trim(ctx)
}
