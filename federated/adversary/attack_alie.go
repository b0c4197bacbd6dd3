package adversary

import (
	"context"
	"fmt"
	"math"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/nistgmm/nistgmm/federated/estimates"
	"github.com/nistgmm/nistgmm/federated/internal/gauss"
	"github.com/nistgmm/nistgmm/federated/mixture"
	"github.com/nistgmm/nistgmm/federated/server"
)

// ALIE is "a little is enough" (Baruch et al., 2019) for mixtures: every
// Byzantine machine sends one identical estimate whose every parameter is
// the mean minus z standard deviations of that parameter over the honest
// estimates aligned to their centre, with z the largest shift that a
// majority-based rule still counts among the honest (see alieZ).
const ALIE Failure = "alie"

// alieZ is ALIE's z for m machines of which b are Byzantine: with
// s = floor(m/2 + 1) - b honest machines needed for a majority, z is the
// normal quantile at (m - s) / m.
func alieZ(m, b int) float64 {
	s := m/2 + 1 - b
	p := float64(m-s) / float64(m)
	if p <= 0.5 {
		return 0
	}
	return distuv.UnitNormal.Quantile(math.Min(p, 0.999))
}

// craftALIE sends the ALIE estimate from every Byzantine machine.
func craftALIE(ctx context.Context, s *server.Server, ests []estimates.Estimate, byzantine []int) ([]estimates.Estimate, *AttackReport, error) {
	view, err := viewHonest(ctx, s, ests)
	if err != nil {
		return nil, nil, err
	}
	z := alieZ(len(ests), len(byzantine))
	c := view.centre
	K, d := c.K(), c.Dim()
	m := &mixture.Mixture{Weights: make([]float64, K)}
	for k := 0; k < K; k++ {
		m.Weights[k] = math.Max(c.Weights[k]-z*view.sdWeight[k], 1e-3)
		mean := make([]float64, d)
		for x := range mean {
			mean[x] = c.Means[k][x] - z*view.sdMean[k][x]
		}
		target := make([]float64, d*d)
		for x := range target {
			target[x] = view.meanCov[k][x] - z*view.sdCov[k][x]
		}
		m.Means = append(m.Means, mean)
		m.Covs = append(m.Covs, blendPD(symFrom(d, view.meanCov[k]), symFrom(d, target)))
	}
	gauss.Normalize(m.Weights)
	if err := m.Validate(); err != nil {
		return nil, nil, fmt.Errorf("alie: %w", err)
	}
	out, err := replaced(ests, byzantine, func(int, int) (*mixture.Mixture, error) { return m.Clone(), nil })
	if err != nil {
		return nil, nil, err
	}
	return out, &AttackReport{Kind: ALIE, Param: z, Detail: fmt.Sprintf("z = %.3f, one identical estimate", z)}, nil
}
