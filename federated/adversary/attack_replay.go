package adversary

import (
	"context"
	"fmt"
	"slices"

	"github.com/nistgmm/nistgmm/federated/estimates"
	"github.com/nistgmm/nistgmm/federated/server"
)

const (
	// ReplayBlind tries to switch the copy rule off: a third of the
	// Byzantine machines replay distinct honest estimates exactly (each
	// replay and its victim then have a copy at distance 0), the others
	// send one identical capture mixture (see Capture). With enough exact
	// copies the median nearest-neighbour distance is 0, and without a
	// floor nothing would be grouped.
	ReplayBlind Failure = "replay-blind"
	// ReplayFrame replays honest estimates, each Byzantine machine a
	// distinct one listed after it in the document, so that a copy rule
	// that keeps a group's first member sets the honest victims aside.
	ReplayFrame Failure = "replay-frame"
)

// replayVictims returns, for each Byzantine machine in order, a distinct
// honest victim: the first honest machine after it in the document not yet
// taken, or else any one left (victims are reused only when there are more
// Byzantine than honest machines).
func replayVictims(n int, byzantine []int) []int {
	isByz := make([]bool, n)
	for _, b := range byzantine {
		isByz[b] = true
	}
	taken := make([]bool, n)
	var out []int
	for _, b := range byzantine {
		v := -1
		for i := b + 1; i < n && v < 0; i++ {
			if !isByz[i] && !taken[i] {
				v = i
			}
		}
		for i := 0; i < n && v < 0; i++ {
			if !isByz[i] && !taken[i] {
				v = i
			}
		}
		if v < 0 { // more Byzantine than honest machines
			for i := 0; i < n && v < 0; i++ {
				if !isByz[i] {
					v = i
				}
			}
		}
		if v >= 0 {
			taken[v] = true
		}
		out = append(out, v)
	}
	return out
}

func craftReplayFrame(_ context.Context, _ *server.Server, ests []estimates.Estimate, byzantine []int) ([]estimates.Estimate, *AttackReport, error) {
	victims := replayVictims(len(ests), byzantine)
	if slices.Contains(victims, -1) {
		return nil, nil, fmt.Errorf("replay-frame: no honest estimate to replay")
	}
	out := append([]estimates.Estimate(nil), ests...)
	for j, b := range byzantine {
		v := ests[victims[j]]
		out[b].Mixture, out[b].N = v.Mixture.Clone(), v.N
	}
	return out, &AttackReport{Kind: ReplayFrame, Detail: fmt.Sprintf("%d honest estimates replayed, each by a machine listed before its victim", len(byzantine))}, nil
}

func craftReplayBlind(ctx context.Context, s *server.Server, ests []estimates.Estimate, byzantine []int) ([]estimates.Estimate, *AttackReport, error) {
	view, err := viewHonest(ctx, s, ests)
	if err != nil {
		return nil, nil, err
	}
	target, detail, err := captureMixture(view.centre)
	if err != nil {
		return nil, nil, err
	}
	replays := (len(byzantine) + 2) / 3
	victims := replayVictims(len(ests), byzantine[:replays])
	if slices.Contains(victims, -1) {
		return nil, nil, fmt.Errorf("replay-blind: no honest estimate to replay")
	}
	out := append([]estimates.Estimate(nil), ests...)
	for j, b := range byzantine {
		if j < replays {
			v := ests[victims[j]]
			out[b].Mixture, out[b].N = v.Mixture.Clone(), v.N
		} else {
			out[b].Mixture = target.Clone()
		}
	}
	return out, &AttackReport{Kind: ReplayBlind, Detail: fmt.Sprintf("%d honest estimates replayed, %d identical capture mixtures (%s)", replays, len(byzantine)-replays, detail)}, nil
}
