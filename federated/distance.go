package federated

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"sync"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// Distance names a divergence between two mixtures.
type Distance string

const (
	// ISE is the L2 distance between the two densities,
	// {int (f - g)^2 dx}^(1/2), in closed form (Appendix C.1). The paper's
	// default; symmetric.
	ISE Distance = "ise"
	// KL is the composite transportation divergence with cost
	// KL(phi_ik || phi_jl) between components: the cheapest way to transport
	// the first mixture's components onto the second's. Not symmetric.
	KL Distance = "kl"
	// CS is the Cauchy-Schwarz divergence
	// -log<f,g> + 0.5 log<f,f> + 0.5 log<g,g>. Symmetric, scale invariant.
	CS Distance = "cs"
)

// ParseDistance accepts "ise", "kl" or "cs".
func ParseDistance(s string) (Distance, error) {
	switch d := Distance(s); d {
	case ISE, KL, CS:
		return d, nil
	}
	return "", fmt.Errorf("unknown distance %q: want ise, kl or cs", s)
}

// Order is the power of the estimation error a distance grows with between
// root-n consistent estimates. ISE behaves like ||G - G'||: O(n^-1/2). CS is
// smooth with a minimum at f = g, so it behaves like ||G - G'||^2: O(n^-1).
// CTD-KL is quadratic in the component parameters but linear in the weights
// (a weight error of delta moves mass delta between distinct components), so
// its leading term is O(n^-1/2) like ISE. ARED's inflation factor is derived
// for a distance of order 1 and is raised to this power.
func (d Distance) Order() float64 {
	if d == CS {
		return 2
	}
	return 1
}

// Symmetric reports whether D(a, b) = D(b, a) for every a, b.
func (d Distance) Symmetric() bool { return d != KL }

// prepared is a validated mixture with its factorized components.
type prepared struct {
	weights []float64
	logw    []float64
	comps   []*gaussian
	// logSelf is log <f, f>, filled for ISE and CS.
	logSelf float64
}

func prepare(m *Mixture) (*prepared, error) {
	comps, err := m.components()
	if err != nil {
		return nil, err
	}
	p := &prepared{weights: m.Weights, comps: comps, logw: make([]float64, len(m.Weights))}
	for k, w := range m.Weights {
		p.logw[k] = math.Log(w)
	}
	return p, nil
}

// logInner returns log <f_a, f_b> = log sum_kl w_k w'_l phi(mu_k; mu'_l, S_k + S'_l),
// by log-sum-exp over the component pairs.
func logInner(a, b *prepared, s *overlapScratch, terms []float64) (float64, error) {
	terms = terms[:0]
	for k, ga := range a.comps {
		if math.IsInf(a.logw[k], -1) {
			continue
		}
		for l, gb := range b.comps {
			if math.IsInf(b.logw[l], -1) {
				continue
			}
			lo, err := logOverlap(ga, gb, s)
			if err != nil {
				return 0, err
			}
			terms = append(terms, a.logw[k]+b.logw[l]+lo)
		}
	}
	return floats.LogSumExp(terms), nil
}

// iseFromLogs returns sqrt(e^la + e^lb - 2 e^lc) without leaving the log
// scale until the end, so that tiny overlaps neither underflow nor cancel
// to a negative number.
func iseFromLogs(la, lb, lc float64) float64 {
	m := math.Max(la, lb)
	v := math.Exp(la-m) + math.Exp(lb-m) - 2*math.Exp(lc-m)
	if v <= 0 {
		return 0
	}
	return math.Min(math.Exp(0.5*m)*math.Sqrt(v), maxDistance)
}

func csFromLogs(la, lb, lc float64) float64 {
	v := -lc + 0.5*la + 0.5*lb
	if v < 0 {
		return 0
	}
	return math.Min(v, maxDistance)
}

// Between returns D(a, b).
func (d Distance) Between(a, b *Mixture) (float64, error) {
	mat, err := Pairwise(context.Background(), []*Mixture{a, b}, d, 1)
	if err != nil {
		return 0, err
	}
	return mat.At(0, 1), nil
}

// Pairwise returns the m x m matrix of D(G_i, G_j), computed by up to
// workers goroutines (0 means GOMAXPROCS). Each component is factorized once;
// each entry depends only on its two mixtures, so the result is the same for
// any number of workers. The diagonal is 0.
func Pairwise(ctx context.Context, mixtures []*Mixture, d Distance, workers int) (*mat.Dense, error) {
	if _, err := ParseDistance(string(d)); err != nil {
		return nil, err
	}
	m := len(mixtures)
	if m == 0 {
		return nil, fmt.Errorf("no mixtures")
	}
	preps := make([]*prepared, m)
	for i, g := range mixtures {
		p, err := prepare(g)
		if err != nil {
			return nil, fmt.Errorf("mixture %d: %w", i, err)
		}
		if g.Dim() != mixtures[0].Dim() {
			return nil, fmt.Errorf("mixture %d has dimension %d, mixture 0 has %d", i, g.Dim(), mixtures[0].Dim())
		}
		preps[i] = p
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	dim := len(preps[0].comps[0].mean)
	out := mat.NewDense(m, m, nil)

	// Jobs are rows; for symmetric distances only j > i is computed.
	rows := make(chan int)
	var wg sync.WaitGroup
	var once sync.Once
	var firstErr error
	fail := func(err error) { once.Do(func() { firstErr = err }) }

	if d != KL {
		// Self inner products first: every row needs them.
		selfJobs := make(chan int)
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s := newOverlapScratch(dim)
				var terms []float64
				for i := range selfJobs {
					v, err := logInner(preps[i], preps[i], s, terms)
					if err != nil {
						fail(fmt.Errorf("mixture %d with itself: %w", i, err))
						continue
					}
					preps[i].logSelf = v
				}
			}()
		}
		for i := 0; i < m; i++ {
			selfJobs <- i
		}
		close(selfJobs)
		wg.Wait()
		if firstErr != nil {
			return nil, firstErr
		}
	}

	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := newOverlapScratch(dim)
			tr := newTransport()
			diff := make([]float64, dim)
			var terms []float64
			for i := range rows {
				if ctx.Err() != nil {
					continue
				}
				for j := 0; j < m; j++ {
					if i == j || (d != KL && j < i) {
						continue
					}
					var v float64
					switch d {
					case KL:
						c, err := ctdKL(preps[i], preps[j], tr, diff)
						if err != nil {
							fail(fmt.Errorf("D(%d, %d): %w", i, j, err))
							continue
						}
						v = c
					default:
						lc, err := logInner(preps[i], preps[j], s, terms)
						if err != nil {
							fail(fmt.Errorf("D(%d, %d): %w", i, j, err))
							continue
						}
						if d == ISE {
							v = iseFromLogs(preps[i].logSelf, preps[j].logSelf, lc)
						} else {
							v = csFromLogs(preps[i].logSelf, preps[j].logSelf, lc)
						}
						out.Set(j, i, v)
					}
					out.Set(i, j, v)
				}
			}
		}()
	}
	for i := 0; i < m; i++ {
		rows <- i
	}
	close(rows)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if firstErr != nil {
		return nil, firstErr
	}
	return out, nil
}

// ctdKL returns the composite transportation divergence from a to b with
// cost KL(phi_ak || phi_bl).
func ctdKL(a, b *prepared, tr *transport, diff []float64) (float64, error) {
	ka, kb := len(a.comps), len(b.comps)
	cost := tr.cost(ka, kb)
	for k, ga := range a.comps {
		for l, gb := range b.comps {
			cost[k*kb+l] = klGauss(ga, gb, diff)
		}
	}
	return tr.solve(a.weights, b.weights)
}
