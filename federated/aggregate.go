package federated

import (
	"context"
	"errors"
	"fmt"
	"math"
)

// Aggregate applies method. byzantine lists the estimates known to be
// Byzantine and is read only by Oracle. Invalid estimates are always among
// the flagged ones.
func (r *Round) Aggregate(ctx context.Context, method Method, byzantine []int) (*Result, error) {
	res := &Result{Method: method}
	var kept, flagged []int
	switch method {
	case COAT:
		res.Mixture = r.Estimates[r.Coat].Mixture.Clone()
		res.Kept = []int{r.Coat}
		// A single estimate is not a filter: COAT judges no machine, so
		// only the invalid ones count as flagged.
		res.Flagged = r.withInvalid(nil)
		return res, nil
	case GMR:
		kept = append(kept, r.Valid...)
	case CRED:
		// The round-off floor keeps identical estimates together here too.
		res.Radius = math.Max(r.Radius, r.Distance.roundOff())
		kept, flagged = r.ball(res.Radius)
	case ARED:
		var err error
		if kept, flagged, res.Radius, res.Warning, err = r.aredBall(); err != nil {
			return nil, err
		}
		if !r.server.Unhardened {
			ref, obj, err := r.reduce(ctx, kept)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", method, err)
			}
			var voters []int
			for a, i := range r.Valid {
				if r.voter[a] {
					voters = append(voters, i)
				}
			}
			mix, slots, err := r.combineSlots(ctx, ref, voters)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", method, err)
			}
			res.Mixture, res.Kept, res.Flagged, res.Objective, res.Slots = mix, kept, r.withInvalid(flagged), obj, slots
			return res, nil
		}
	case Oracle:
		bad := map[int]bool{}
		for _, b := range byzantine {
			bad[b] = true
		}
		for _, i := range r.Valid {
			if bad[i] {
				flagged = append(flagged, i)
			} else {
				kept = append(kept, i)
			}
		}
		if len(kept) == 0 {
			return nil, errors.New("oracle: every valid estimate is Byzantine")
		}
	case TRIM:
		return r.trim(ctx)
	default:
		return nil, fmt.Errorf("unknown method %q", method)
	}
	mix, obj, err := r.reduce(ctx, kept)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", method, err)
	}
	res.Mixture, res.Kept, res.Flagged, res.Objective = mix, kept, r.withInvalid(flagged), obj
	return res, nil
}
