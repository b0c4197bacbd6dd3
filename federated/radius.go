package federated

import (
	"fmt"
	"math"
	"sort"
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
	// RadiusRobust is a robust location-and-scale rule on the logarithms
	// of the distances to COAT that lie inside COAT's own ball (the half of
	// the estimates nearest COAT, which an honest majority fills):
	//
	//	log r = q50 + s (q50 - q25) / 0.6745,
	//
	// with q50 the log of r_coat (the ball's largest distance is its
	// median over all estimates) and q25 the log of the distance at the
	// quarter mark, and s the Server's RadiusScale (default 3, a 3-sigma
	// rule for a normal log-distance). It uses only the distances among
	// the transmitted estimates: no labels and no knowledge of alpha. The
	// lower half of the distances comes from honest estimates whenever
	// fewer than half are Byzantine and COAT is honest, so the Byzantine
	// ones cannot stretch the scale the way they stretch a MAD of all
	// distances. It never returns less than r_coat, so ARED keeps at least
	// CRED's ball.
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
	m := len(r.Valid)
	floor := r.Distance.roundOff()
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
		return math.Max(robustRadius(r.CoatDistances(), r.coatPos, r.Radius, scale), floor), "", nil
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
	if len(in) < 2 || rcoat <= 0 {
		return rcoat
	}
	sort.Float64s(in)
	// Within the ball, r_coat is the median of all distances to COAT;
	// the ball's own median is the quarter mark of all of them.
	q25 := quantileSorted(in, 0.5)
	if q25 <= 0 {
		return rcoat
	}
	spread := (math.Log(rcoat) - math.Log(q25)) / 0.6745
	return math.Exp(math.Log(rcoat) + scale*spread)
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
