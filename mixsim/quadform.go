package mixsim

import (
	"errors"
	"math"
	"sort"

	"gonum.org/v1/gonum/integrate/quad"
)

// quadForm is the random variable Q = sum_k l_k (Z_k + b_k)^2 + s Z_0 with
// independent standard normal Z_0, ..., Z_r: a linear combination of
// non-central chi-square variables with one degree of freedom each, plus a
// normal term. Every pairwise overlap of two Gaussians is P(Q > x) for such
// a Q (see pairOverlap).
type quadForm struct {
	l, b []float64 // coefficients and shifts of the chi-square terms
	s    float64   // standard deviation of the normal term
}

// quadTol is the absolute error aimed at by exceed: far below the 1e-6 the
// overlaps are promised to, so that bisection on them is meaningful.
const quadTol = 1e-9

// maxPanels caps the quadrature panels of one inversion integral; beyond it
// the integral is refused rather than truncated silently.
const maxPanels = 4_000_000

var errTooSlow = errors.New("the inversion integral of this quadratic form converges too slowly to evaluate")

// legendre20 holds the 20-point Gauss-Legendre rule on [-1, 1].
var legendre20 = func() (r struct{ x, w []float64 }) {
	r.x, r.w = make([]float64, 20), make([]float64, 20)
	quad.Legendre{}.FixedLocations(r.x, r.w, -1, 1)
	return r
}()

// exceed returns P(Q > x).
//
// With at most three chi-square terms and a weak normal term the inversion
// integral decays like u^-2.5 or slower and would need up to millions of
// panels, so such forms are computed by conditioning instead: exactly for
// one term, and as a Gaussian integral of closed forms otherwise.
// Everything else uses Imhof's (1961) inversion formula.
func (q quadForm) exceed(x float64) (float64, error) {
	switch {
	case len(q.l) == 0:
		return q.normalExceed(x), nil
	case len(q.l) == 1 && q.s == 0:
		return singleExceed(q.l[0], q.b[0], x), nil
	}
	upper := q.imhofUpper()
	limit := maxPanels
	if len(q.l) <= 3 {
		limit = conditionPanels
	}
	if q.panels(x, upper, limit+1) > float64(limit) {
		if len(q.l) <= 3 {
			return q.conditionalExceed(x), nil
		}
		return 0, errTooSlow
	}
	return q.imhof(x, upper), nil
}

// conditionPanels is the number of inversion panels above which forms of up
// to three chi-square terms are integrated by conditioning instead: the
// point where that became cheaper in BenchmarkComputeOverlap.
const conditionPanels = 2000

// normalExceed is P(s Z_0 > x), a step when s = 0.
func (q quadForm) normalExceed(x float64) float64 {
	if q.s > 0 {
		return 0.5 * math.Erfc(x/(q.s*math.Sqrt2))
	}
	if x < 0 {
		return 1
	}
	return 0
}

// logRho is log of Imhof's rho(u) = prod (1 + l^2 u^2)^(1/4)
// exp(sum b^2 l^2 u^2 / (2 (1 + l^2 u^2))) exp(s^2 u^2 / 8), the modulus of
// the characteristic function's reciprocal at u/2.
func (q quadForm) logRho(u float64) float64 {
	var v float64
	for k, l := range q.l {
		lu2 := l * l * u * u
		v += 0.25*math.Log1p(lu2) + 0.5*q.b[k]*q.b[k]*lu2/(1+lu2)
	}
	return v + q.s*q.s*u*u/8
}

// theta is Imhof's phase theta(u) = sum (atan(l u) + b^2 l u / (1 + l^2 u^2)) / 2 - x u / 2.
func (q quadForm) theta(u, x float64) float64 {
	var v float64
	for k, l := range q.l {
		lu := l * u
		v += math.Atan(lu) + q.b[k]*q.b[k]*lu/(1+lu*lu)
	}
	return 0.5*v - 0.5*x*u
}

// frequency bounds |theta'| on [u, inf): each term's derivative is at most
// (|l| + b^2 |l|) / (1 + l^2 u^2) there, and the last adds |x| / 2.
func (q quadForm) frequency(u, x float64) float64 {
	v := 0.5 * math.Abs(x)
	for k, l := range q.l {
		v += 0.5 * math.Abs(l) * (1 + q.b[k]*q.b[k]) / (1 + l*l*u*u)
	}
	return v
}

// truncation bounds the integral of |integrand| over [u, inf) (Imhof's
// bound, sharpened by the normal term when there is one).
func (q quadForm) truncation(u float64) float64 {
	k := 0.5 * float64(len(q.l))
	logBound := -math.Log(math.Pi*k) - k*math.Log(u)
	for j, l := range q.l {
		lu2 := l * l * u * u
		logBound -= 0.5*math.Log(math.Abs(l)) + 0.5*q.b[j]*q.b[j]*lu2/(1+lu2)
	}
	logBound -= q.s * q.s * u * u / 8
	bound := math.Exp(logBound)
	if q.s > 0 {
		// Using only exp(-s^2 u^2 / 8) / u <= its value at u times a
		// Gaussian tail: (4 / (s^2 u^2)) exp(-s^2 u^2 / 8) / pi.
		alt := 4 / (q.s * q.s * u * u) * math.Exp(-q.s*q.s*u*u/8) / math.Pi
		bound = math.Min(bound, alt)
	}
	return bound
}

// scale is the smallest u at which the integrand changes appreciably.
func (q quadForm) scale() float64 {
	most := q.s / 2
	for _, l := range q.l {
		most = math.Max(most, math.Abs(l))
	}
	return 1 / most
}

// imhofUpper returns the upper limit of the inversion integral: where
// Imhof's truncation bound falls below a quarter of quadTol.
func (q quadForm) imhofUpper() float64 {
	upper := q.scale()
	for q.truncation(upper) > quadTol/4 && upper < 1e300 {
		upper *= 2
	}
	// Bisect down to a tighter limit between upper/2 and upper.
	lo := upper / 2
	for i := 0; i < 30 && upper-lo > 1e-3*upper; i++ {
		mid := 0.5 * (lo + upper)
		if q.truncation(mid) > quadTol/4 {
			lo = mid
		} else {
			upper = mid
		}
	}
	return upper
}

// panels counts the quadrature panels imhof uses up to upper, stopping at
// limit.
func (q quadForm) panels(x, upper float64, limit int) float64 {
	n := 0
	for a := 0.0; a < upper && n < limit; n++ {
		a += q.panelWidth(a, x)
	}
	return float64(n)
}

// panelWidth is the width of the panel starting at a: no wider than half a
// local period, nor than half its distance from 0 (the amplitude's scale).
func (q quadForm) panelWidth(a, x float64) float64 {
	h := math.Pi / q.frequency(a, x)
	return math.Min(h, math.Max(a/2, q.scale()/4))
}

// imhof integrates P(Q > x) = 1/2 + (1/pi) int_0^inf sin(theta(u)) / (u rho(u)) du
// over [0, upper] with 20-point Gauss-Legendre panels no wider than half a
// local period and than half their distance from 0.
func (q quadForm) imhof(x, upper float64) float64 {
	var sum float64
	for a := 0.0; a < upper; {
		b := math.Min(a+q.panelWidth(a, x), upper)
		mid, half := 0.5*(a+b), 0.5*(b-a)
		var panel float64
		for i, t := range legendre20.x {
			u := mid + half*t
			panel += legendre20.w[i] * math.Sin(q.theta(u, x)) * math.Exp(-q.logRho(u)) / u
		}
		sum += half * panel
		a = b
	}
	p := 0.5 + sum/math.Pi
	return math.Min(1, math.Max(0, p))
}

// conditionalExceed computes P(Q > x) for at most two chi-square terms by
// integrating the last term's normal variable out: P(Q > x) =
// E[P(Q' > x - l (Z + b)^2)] with Q' the rest, recursively, down to the
// closed forms of a single term or a normal term alone.
func (q quadForm) conditionalExceed(x float64) float64 {
	r := len(q.l)
	if r == 0 {
		return q.normalExceed(x)
	}
	l, b := q.l[r-1], q.b[r-1]
	if r == 1 && q.s == 0 {
		return singleExceed(l, b, x)
	}
	rest := quadForm{l: q.l[:r-1], b: q.b[:r-1], s: q.s}
	f := func(z float64) float64 {
		y := x - l*(z+b)*(z+b)
		return math.Exp(-0.5*z*z) / math.Sqrt(2*math.Pi) * rest.conditionalExceed(y)
	}
	// Without a normal part the inner probability has a square-root kink
	// where its argument is 0: split the Gaussian range [-10, 10] there,
	// and integrate next to each kink in v with z = kink +- v^2, which
	// makes the integrand smooth.
	var kinks []float64
	if rest.s == 0 && x/l > 0 {
		root := math.Sqrt(x / l)
		for _, z := range []float64{-b - root, -b + root} {
			if z > -10 && z < 10 {
				kinks = append(kinks, z)
			}
		}
	}
	sort.Float64s(kinks)
	cuts := append(append([]float64{-10}, kinks...), 10)
	isKink := func(i int) bool { return i > 0 && i < len(cuts)-1 }
	var p float64
	for i := 0; i+1 < len(cuts); i++ {
		a, c := cuts[i], cuts[i+1]
		mid := 0.5 * (a + c)
		if !isKink(i) && !isKink(i+1) {
			p += adaptive(f, a, c, quadTol/8, 0)
			continue
		}
		if isKink(i) { // [a, mid] in v with z = a + v^2
			p += adaptive(func(v float64) float64 { return 2 * v * f(a+v*v) }, 0, math.Sqrt(mid-a), quadTol/8, 0)
		} else {
			p += adaptive(f, a, mid, quadTol/8, 0)
		}
		if isKink(i + 1) { // [mid, c] in v with z = c - v^2
			p += adaptive(func(v float64) float64 { return 2 * v * f(c-v*v) }, 0, math.Sqrt(c-mid), quadTol/8, 0)
		} else {
			p += adaptive(f, mid, c, quadTol/8, 0)
		}
	}
	return math.Min(1, math.Max(0, p))
}

// singleExceed is P(l (Z + b)^2 > x) in closed form.
func singleExceed(l, b, x float64) float64 {
	y := x / l
	inside := 0.0 // P((Z + b)^2 < y)
	if y > 0 {
		r := math.Sqrt(y)
		inside = normalCDF(r-b) - normalCDF(-r-b)
	}
	if l > 0 {
		return 1 - inside
	}
	return inside
}

func normalCDF(z float64) float64 { return 0.5 * math.Erfc(-z/math.Sqrt2) }

// adaptive integrates f over [a, b] by 20-point Gauss-Legendre, halving
// the interval until the halves agree with the whole to tol.
func adaptive(f func(float64) float64, a, b, tol float64, depth int) float64 {
	whole := gauss20(f, a, b)
	m := 0.5 * (a + b)
	left, right := gauss20(f, a, m), gauss20(f, m, b)
	if math.Abs(left+right-whole) <= tol || depth >= 40 {
		return left + right
	}
	return adaptive(f, a, m, tol/2, depth+1) + adaptive(f, m, b, tol/2, depth+1)
}

func gauss20(f func(float64) float64, a, b float64) float64 {
	mid, half := 0.5*(a+b), 0.5*(b-a)
	var v float64
	for i, t := range legendre20.x {
		v += legendre20.w[i] * f(mid+half*t)
	}
	return half * v
}
