package server

import (
	"fmt"
	"math"

	"github.com/nistgmm/nistgmm/federated/internal/kernel"
	"github.com/nistgmm/nistgmm/federated/internal/robust"
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
		return math.Max(robust.RobustRadius(dist, coat, r.Radius, scale), floor), warning, nil
	}
}
