package robust

import (
	"context"
	"math"

	"github.com/nistgmm/nistgmm/internal/parallel"
)

// TrendSlopes and TrendSteps are the trends TrendZ allows the honest
// statistics: a slope in log n from -1 to 1, and a step of 0 to 4 (a
// factor of 55) for the share of a site's mixture fitted from fewer
// observations than UnderdeterminedRatio times the dimension plus 2.
//
// Why these: the verdicts' statistics are n times a divergence, flat in n
// when the fit is in its asymptotic regime; where the penalty rather than
// the sample sets a covariance, the divergence stops shrinking with n (a
// slope up to 1), and just above that the finite-sample excess of the
// covariance's inverse, about (d + 2) / (n_k - d - 2), makes it fall with n
// (a negative slope). On clean rounds of d = 50 with n from 100 to 5,000,
// the sites with fewer than about 2 d observations per component lay 3 to 4
// above the rest on the log scale (a step, not a slope). A fitted slope
// cannot follow a step, and with few sites it follows their noise instead.
var (
	TrendSlopes = span(-1, 1, 0.1)
	TrendSteps  = span(0, 4, 0.5)
)

// UnderdeterminedRatio: a component is under-determined at a site when the
// site's n times the component's weight is below this ratio times d + 2,
// where the expected inverse of a sample covariance (n_k / (n_k - d - 2)
// times the truth's) is far from the truth's.
const UnderdeterminedRatio = 2

func span(lo, hi, step float64) []float64 {
	var out []float64
	for j := 0; ; j++ {
		v := lo + float64(j)*step
		if v > hi+step/2 {
			return out
		}
		out = append(out, math.Round(v*1e9)/1e9)
	}
}

// TrendZ standardizes y (per site) against the counted sites' statistics,
// allowing the honest location a trend: y - slope x - step u, for every
// slope in TrendSlopes and step in TrendSteps (only 0 when x or u is the
// same for every counted site). Each candidate trend has its reference
// (VerdictReference of the counted residuals). A site's z is the smallest
// over the candidates of its residual's distance to the candidate's
// location, in units of the smallest of the candidates' scales: a site is
// far only when no allowed trend explains it, measured on the scale of
// the trend that explains the honest sites best.
//
// The price: with unequal n a far site whose n lies at the edge of the
// others' can borrow a trend's slack; with equal n (x and u constant) the
// z is VerdictReference's. Its cost is O(candidates m log m).
func TrendZ(ctx context.Context, y, x, u []float64, counted []bool, workers int) ([]float64, error) {
	return TrendZFloor(ctx, y, x, u, counted, workers, VerdictScaleFloor)
}

// TrendZFloor is TrendZ with the scale never below floor. The verdicts
// pass a floor set by the statistic's own sampling spread (see
// ModelScaleFloor): a minority packed at a low honest quantile shrinks
// every candidate's median absolute deviation to the honest spacing
// there, which no floor computed from the statistics themselves prevents.
func TrendZFloor(ctx context.Context, y, x, u []float64, counted []bool, workers int, floor float64) ([]float64, error) {
	var cy, cx, cu []float64
	for j, c := range counted {
		if c {
			cy, cx, cu = append(cy, y[j]), append(cx, x[j]), append(cu, u[j])
		}
	}
	slopes, steps := []float64{0}, []float64{0}
	if varies(cx) {
		slopes = TrendSlopes
	}
	if varies(cu) {
		steps = TrendSteps
	}
	type candidate struct{ slope, step, med, scale float64 }
	cands := make([]candidate, 0, len(slopes)*len(steps))
	for _, s := range slopes {
		for _, t := range steps {
			cands = append(cands, candidate{slope: s, step: t})
		}
	}
	err := parallel.For(ctx, len(cands), workers, func(c int) error {
		ref := make([]float64, len(cy))
		for j := range cy {
			ref[j] = cy[j] - cands[c].slope*cx[j] - cands[c].step*cu[j]
		}
		cands[c].med, cands[c].scale = VerdictReference(ref)
		return nil
	})
	if err != nil {
		return nil, err
	}
	scale := math.Inf(1)
	for _, c := range cands {
		scale = math.Min(scale, c.scale)
	}
	scale = math.Max(scale, floor)
	z := make([]float64, len(y))
	for j := range y {
		z[j] = math.Inf(1)
		for _, c := range cands {
			z[j] = math.Min(z[j], (y[j]-c.slope*x[j]-c.step*u[j]-c.med)/scale)
		}
	}
	return z, nil
}

func varies(v []float64) bool {
	for _, a := range v {
		if a != v[0] {
			return true
		}
	}
	return false
}

// VerdictModelFloor is the share of a statistic's model spread below which
// the verdicts' scale never goes (see ModelScaleFloor).
const VerdictModelFloor = 0.35

// ModelScaleFloor returns the floor of the verdicts' scale for a log
// statistic that is about a chi-square with df degrees of freedom for an
// honest site: VerdictModelFloor times the standard deviation of the
// logarithm of a chi-square, sqrt(trigamma(df / 2)), and never below
// VerdictScaleFloor. With few degrees of freedom (the weights' statistic:
// K - 1, less its largest third) honest statistics spread over orders of
// magnitude, and a minority packing its own statistics just above a low
// honest quantile collapses the median absolute deviation while moving
// the median down to that quantile: honest sites in the upper tail were
// then flagged. With many (the components' in every calibrated design from
// d = 4 up) the floor is VerdictScaleFloor.
func ModelScaleFloor(df float64) float64 {
	if !(df > 0) {
		return VerdictScaleFloor
	}
	return math.Max(VerdictScaleFloor, VerdictModelFloor*math.Sqrt(trigamma(df/2)))
}

// trigamma is the derivative of the digamma function, by the recurrence
// up to 6 and the asymptotic series beyond.
func trigamma(x float64) float64 {
	var s float64
	for x < 6 {
		s += 1 / (x * x)
		x++
	}
	x2 := x * x
	return s + 1/x + 1/(2*x2) + 1/(6*x2*x) - 1/(30*x2*x2*x) + 1/(42*x2*x2*x2*x) - 1/(30*x2*x2*x2*x2*x)
}
