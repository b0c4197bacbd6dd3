package server

import (
	"context"
	"encoding/binary"
	"hash/crc64"
	"math"
	"slices"

	"github.com/nistgmm/nistgmm/federated/estimates"
)

// setAside sets every valid estimate's weight (its sample size, capped at
// the median report unless the server is unhardened) and decides which
// estimates the robust methods count: all of them when unhardened;
// otherwise not near copies of an earlier estimate, nor absurd reports.
//
// cands, for a round at scale, are the positions whose rows are computed:
// near copies are then found by nearCopiesSampled.
func (r *Round) setAside(ctx context.Context, cands []int) error {
	r.voter = make([]bool, len(r.Valid))
	for a := range r.voter {
		r.voter[a] = true
	}
	r.caps = make(map[int]float64, len(r.Valid))
	r.repOf = make([]int, len(r.Valid))
	for a := range r.repOf {
		r.repOf[a] = a
	}
	if r.server.Unhardened {
		for _, i := range r.Valid {
			r.caps[i] = float64(r.Estimates[i].N)
		}
		return nil
	}
	caps, absurd := sampleSizeCaps(r.Estimates, r.Valid)
	r.caps = caps
	for _, i := range r.Valid {
		if caps[i] < float64(r.Estimates[i].N) {
			r.Capped = append(r.Capped, i)
		}
	}
	aside := map[int]string{}
	for _, inv := range absurd {
		aside[inv.Index] = inv.Reason
	}
	// Absurd reports are never a group's representative while another
	// member is not absurd.
	keys := make([]uint64, len(r.Valid))
	r.keys = make(map[int]uint64, len(r.Valid))
	for a, i := range r.Valid {
		keys[a] = estimateKey(r.Estimates[i])
		r.keys[i] = keys[a]
		if _, ok := aside[i]; ok {
			keys[a] = math.MaxUint64
		}
	}
	fraction := r.server.copyFraction()
	var (
		rep     []int
		typical float64
	)
	if r.rows == nil {
		rep, typical = nearCopies(r.Distances, fraction, keys)
	} else {
		var err error
		if rep, typical, err = nearCopiesSampled(ctx, r.rows, cands, len(r.Valid), fraction, keys); err != nil {
			return err
		}
	}
	r.CopyTypical = typical
	groups := map[int][]int{}
	for a, of := range rep {
		r.repOf[a] = of
		if of != a {
			groups[of] = append(groups[of], a)
		}
	}
	for a, i := range r.Valid {
		if reason, ok := aside[i]; ok {
			r.voter[a] = false
			r.SetAside = append(r.SetAside, Invalid{Index: i, ID: r.Estimates[i].ID, Reason: reason})
		}
		if rep[a] != a {
			r.voter[a] = false
		}
	}
	for a := range r.Valid {
		members, ok := groups[a]
		if !ok {
			continue
		}
		g := CopyGroup{Representative: r.Valid[a], Members: []int{r.Valid[a]}}
		for _, b := range members {
			g.Members = append(g.Members, r.Valid[b])
			gap, err := r.symDistance(a, b)
			if err != nil {
				return err
			}
			g.Gap = math.Max(g.Gap, gap)
			// The group weighs as its heaviest member that is not absurd:
			// one machine, whatever order or sample sizes its members have.
			if _, bad := aside[r.Valid[b]]; !bad {
				r.caps[r.Valid[a]] = math.Max(r.caps[r.Valid[a]], r.caps[r.Valid[b]])
			}
		}
		slices.Sort(g.Members)
		g.Limit = fraction * typical
		r.CopyGroups = append(r.CopyGroups, g)
	}
	if !slices.Contains(r.voter, true) { // cannot happen: the median report is not absurd
		for a := range r.voter {
			r.voter[a] = true
			r.repOf[a] = a
		}
		r.SetAside, r.CopyGroups = nil, nil
	}
	return nil
}

// CopyGroup is a set of near-identical valid estimates: independent samples
// do not give near-identical fits, so the robust methods count the group
// once, as its representative with the weight of one machine, and accuse
// none of its members for being in it (a replay of an honest estimate
// makes a group with its victim). Indices refer to the round's Estimates.
type CopyGroup struct {
	Members        []int // ascending
	Representative int   // the member with the smallest content hash
	// Gap is the largest distance from the representative to a member and
	// Limit the copy limit (CopyFraction times the typical distance).
	Gap, Limit float64
}

// symDistance is max(D(a, b), D(b, a)) for positions in Valid.
func (r *Round) symDistance(a, b int) (float64, error) {
	if r.rows == nil {
		return math.Max(r.Distances.At(a, b), r.Distances.At(b, a)), nil
	}
	ab, ba, err := r.rows.Pair(a, b)
	return math.Max(ab, ba), err
}

// estimateKey hashes one estimate's sample size and parameters: the key
// that picks a copy group's representative independently of positions.
func estimateKey(e estimates.Estimate) uint64 {
	h := crc64.New(crc64.MakeTable(crc64.ECMA))
	buf := make([]byte, 8)
	put := func(v float64) {
		binary.LittleEndian.PutUint64(buf, math.Float64bits(v))
		h.Write(buf)
	}
	put(float64(e.N))
	for k, w := range e.Mixture.Weights {
		put(w)
		for _, v := range e.Mixture.Means[k] {
			put(v)
		}
		// The upper triangle and zeros below, whatever the storage holds
		// there: the key of a covariance stored in one triangle (as fits
		// store it) or in both (as decoders do) is the same.
		raw := e.Mixture.Covs[k].RawSymmetric()
		for i := 0; i < raw.N; i++ {
			for j := 0; j < raw.N; j++ {
				if j < i {
					put(0)
				} else {
					put(raw.Data[i*raw.Stride+j])
				}
			}
		}
	}
	return h.Sum64()
}
