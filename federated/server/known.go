package server

import (
	"context"

	"gonum.org/v1/gonum/mat"

	"github.com/nistgmm/nistgmm/federated/divergence"
	"github.com/nistgmm/nistgmm/federated/internal/gauss"
	"github.com/nistgmm/nistgmm/federated/internal/kernel"
	"github.com/nistgmm/nistgmm/federated/mixture"
)

// KnownDistances holds the distances among a fixed list of mixtures, so
// that rounds over subsets of them read their distance matrices instead of
// computing them again: the five failure rates of a Table 2 repetition share
// every honest machine's estimate. A distance depends only on its two
// mixtures and on their order (a symmetric distance is computed once, with
// the earlier one first, and its rounding depends on that), so a round is
// served only when its valid estimates appear in the order of the list, and
// then gets exactly the numbers it would have computed.
type KnownDistances struct {
	distance divergence.Distance
	index    map[*mixture.Mixture]int // by identity: the same *Mixture
	matrix   *mat.Dense
}

// KnownDistances computes the server's distance among mixtures. Invalid
// mixtures, and mixtures whose dimension differs from the first valid one,
// are left out: a round holding one of them computes its own matrix.
func (s *Server) KnownDistances(ctx context.Context, mixtures []*mixture.Mixture) (*KnownDistances, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	kd := &KnownDistances{distance: s.distance(), index: map[*mixture.Mixture]int{}}
	var preps []*kernel.DistanceInput
	components := 0
	for _, m := range mixtures {
		if m == nil {
			continue
		}
		if _, seen := kd.index[m]; seen {
			continue
		}
		comps, err := gauss.MixtureComponents(m.Weights, m.Means, m.Covs)
		if err != nil || len(preps) > 0 && m.Dim() != len(preps[0].Comps[0].Mean) {
			continue
		}
		kd.index[m] = len(preps)
		preps = append(preps, kernel.DistanceInputFrom(m, comps))
		components += len(comps)
	}
	// The transported distances of a round come from a table of component
	// divergences when it has at most MaxComponentKL components; known ones
	// must come from the same table to be the same numbers.
	if len(preps) == 0 || kernel.Distance(kd.distance).Transported() && components > kernel.MaxComponentKL {
		return &KnownDistances{distance: kd.distance}, nil
	}
	var err error
	if kd.matrix, err = kernel.PairwiseInputs(ctx, preps, kernel.Distance(kd.distance), s.Workers, kernel.MaxComponentKL); err != nil {
		return nil, err
	}
	return kd, nil
}

// Len is the number of mixtures whose distances are known.
func (kd *KnownDistances) Len() int {
	if kd == nil || kd.matrix == nil {
		return 0
	}
	return len(kd.index)
}

// lookup returns the matrix of distance d among mixtures, or nil when one of
// them is not known, they are not in the known order, or d is not the known
// distance.
func (kd *KnownDistances) lookup(d divergence.Distance, mixtures []*mixture.Mixture) *mat.Dense {
	if kd.Len() == 0 || d != kd.distance {
		return nil
	}
	at := make([]int, len(mixtures))
	for a, m := range mixtures {
		i, ok := kd.index[m]
		if !ok || a > 0 && i <= at[a-1] {
			return nil
		}
		at[a] = i
	}
	out := mat.NewDense(len(mixtures), len(mixtures), nil)
	for a, i := range at {
		for b, j := range at {
			out.Set(a, b, kd.matrix.At(i, j))
		}
	}
	return out
}
