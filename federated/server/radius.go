package server

import (
	"fmt"
	"math"
	"sort"

	"github.com/nistgmm/nistgmm/federated/internal/kernel"
	"gonum.org/v1/gonum/stat/distuv"
)

// RadiusRule names how ARED sizes the ball around COAT whose estimates it
// reduces.
type RadiusRule string

const (
	// RadiusEq5 is the paper's eq. (5): r_coat * AREDFactor(m)^p, with p the
	// Server's AREDPower (by default the distance's Order). The factor
	// comes from the asymptotics in m; it is below 1 for m < 10, where the
	// ball is smaller than CRED's.
	RadiusEq5 RadiusRule = "eq5"
	// RadiusRobust is a robust location-and-scale rule on the distances to
	// COAT, using only the half of them inside COAT's own ball (the
	// estimates nearest COAT, which an honest majority fills):
	//
	//	r = q50 + s (q50 - q25) / 0.6745,
	//
	// with q50 = r_coat (the ball's edge is the median distance over all
	// estimates), q25 the median distance inside the ball (the quarter
	// mark over all), (q50 - q25) / 0.6745 the normal-consistent scale,
	// and s the Server's RadiusScale (default 3). It needs no labels and
	// no knowledge of alpha; fewer than half Byzantine estimates cannot
	// stretch the scale, as they stretch a MAD over all distances. It is
	// never below r_coat, so ARED keeps at least CRED's ball. The constant
	// and the linear scale (rather than logarithms, whose spread the
	// estimates nearest COAT inflate) were chosen on simulated rounds
	// (see the README), not on the NIST results.
	RadiusRobust RadiusRule = "robust"
)

// ParseRadiusRule accepts "eq5" or "robust".
func ParseRadiusRule(s string) (RadiusRule, error) {
	switch r := RadiusRule(s); r {
	case RadiusEq5, RadiusRobust:
		return r, nil
	}
	return "", fmt.Errorf("unknown ARED radius rule %q: want robust or eq5", s)
}

func (s *Server) radiusRule() RadiusRule {
	if s.Radius == "" {
		return RadiusRobust
	}
	return s.Radius
}

// AREDFactor is sqrt(0.5 log(m/2) log log m), the inflation of r_coat in
// eq. (5). It is defined for m >= 3.
func AREDFactor(m int) (float64, error) {
	if m < 3 {
		return 0, fmt.Errorf("ARED needs at least 3 valid estimates, got %d", m)
	}
	fm := float64(m)
	return math.Sqrt(0.5 * math.Log(fm/2) * math.Log(math.Log(fm))), nil
}

// aredRadius returns the radius of ARED's ball under the server's rule and
// a warning when the rule cannot deliver what ARED promises.
func (r *Round) aredRadius() (float64, string, error) {
	m := 0 // the counted estimates
	for _, v := range r.voter {
		if v {
			m++
		}
	}
	floor := kernel.Distance(r.Distance).RoundOff()
	switch r.server.radiusRule() {
	case RadiusEq5:
		f, err := AREDFactor(m)
		if err != nil {
			return 0, "", err
		}
		power := r.server.AREDPower
		if power == 0 {
			power = r.Distance.Order()
		}
		warning := ""
		if f < 1 {
			warning = fmt.Sprintf("with %d valid estimates eq. (5)'s factor sqrt(0.5 log(m/2) log log m) is %.3f < 1: "+
				"ARED's ball is smaller than CRED's and may drop honest machines; the robust radius rule does not have this limit", m, f)
		}
		return math.Max(r.Radius*math.Pow(f, power), floor), warning, nil
	default:
		scale := r.server.RadiusScale
		if scale == 0 {
			scale = 3
		}
		warning := ""
		if m < 5 {
			warning = fmt.Sprintf("with %d valid estimates COAT's ball holds too few others to estimate the spread of the distances: "+
				"ARED keeps CRED's ball", m)
		}
		dist, coat := r.voterCoatDistances()
		return math.Max(robustRadius(dist, coat, r.Radius, scale), floor), warning, nil
	}
}

// robustRadius is RadiusRobust's rule over the distances to COAT (coat is
// COAT's own position, excluded) with ball radius rcoat.
func robustRadius(dist []float64, coat int, rcoat, scale float64) float64 {
	var in []float64
	for b, d := range dist {
		if b != coat && d <= rcoat {
			in = append(in, d)
		}
	}
	if len(in) < 2 {
		return rcoat
	}
	sort.Float64s(in)
	q25 := quantileSorted(in, 0.5)
	return rcoat + scale*(rcoat-q25)/0.6745
}

// quantileSorted returns the p-quantile of sorted x by linear interpolation.
func quantileSorted(x []float64, p float64) float64 {
	pos := p * float64(len(x)-1)
	lo := int(math.Floor(pos))
	if lo >= len(x)-1 {
		return x[len(x)-1]
	}
	frac := pos - float64(lo)
	return x[lo]*(1-frac) + x[lo+1]*frac
}

// slotQuarterShare is the safety factor of slotRadius's bound on the
// quarter mark: the share of the chi-square ratio Q_p(1/4) / Q_p(1/2) below
// which q25 / r_coat is taken as a sign of components packed near the
// centre rather than honest spread. On simulated clean rounds (Section 5's
// generator, d 2-20, equal and unequal n) the slots' lower quantiles sat
// above the bound in every slot.
const slotQuarterShare = 0.6

// slotRadius is RadiusRobust's rule within one slot of ARED's
// componentwise combination, with the quarter mark q25 held at least at
// slotQuarterShare * Q_p(1/4) / Q_p(1/2) * r_coat, Q_p the chi-square
// quantiles with p = d (d + 3) / 2 degrees of freedom (the parameters of a
// d-dimensional Gaussian, whose Jeffreys divergences between independent
// fits scale like chi-square with p degrees of freedom). Components packed
// near the centre (a crafted component sent by many machines, slightly
// jittered so that it is no copy) drag q25 to 0 and would stretch the
// radius to 1 + s / 0.6745 times r_coat (5.4 with s = 3); bounded, the
// stretch is at most 1 + s (1 - bound) / 0.6745 (2.9 in d = 50, 3.8 in
// d = 2), while honest spread, which sits above the bound, is untouched.
func slotRadius(dist []float64, centre int, rcoat, scale float64, d int) float64 {
	var in []float64
	for b, v := range dist {
		if b != centre && v <= rcoat {
			in = append(in, v)
		}
	}
	if len(in) < 2 {
		return rcoat
	}
	sort.Float64s(in)
	p := float64(d*(d+3)) / 2
	chi := distuv.ChiSquared{K: p}
	q25 := math.Max(quantileSorted(in, 0.5), slotQuarterShare*chi.Quantile(0.25)/chi.Quantile(0.5)*rcoat)
	return rcoat + scale*(rcoat-q25)/0.6745
}
