package kernel

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/nistgmm/nistgmm/internal/parallel"
	"gonum.org/v1/gonum/mat"

	"github.com/nistgmm/nistgmm/federated/internal/gauss"
	"github.com/nistgmm/nistgmm/federated/mixture"
)

// Distance names a divergence between two mixtures; the public type is
// divergence.Distance, whose values convert to this one.
type Distance string

// The distances of the registry (documented in package divergence).
const (
	ISE      Distance = "ise"
	KL       Distance = "kl"
	CS       Distance = "cs"
	Jeffreys Distance = "jeffreys"
	KLSym    Distance = "kl-sym"
)

// distanceKind is one entry of the distance registry. A distance is either
// transported (a composite transportation divergence: component costs from
// KL values between components, Jeffreys when jeffreys, both directions summed when
// sumTranspose) or computed from the log inner products <f,f>, <g,g>,
// <f,g> by fromLogs.
type distanceKind struct {
	name Distance
	help string
	// order is the power of the estimation error the distance grows with
	// (see Order); roundOff the size below which it is rounding (see
	// roundOff).
	order, roundOff float64
	symmetric       bool
	transported     bool
	jeffreys        bool // transported with the symmetric Jeffreys cost
	sumTranspose    bool // transported, D(a, b) + D(b, a)
	fromLogs        func(la, lb, lc float64) float64
}

// distanceKinds is the registry: parsing, help texts, the lists of
// distances and every property a round asks for derive from it. A new
// distance computed from the inner products is one file with its fromLogs
// function and one entry here.
func distanceKinds() []distanceKind {
	return []distanceKind{
		{name: Jeffreys, help: "transportation divergence with the symmetric KL cost (the default)", order: 1, roundOff: 1e-9,
			symmetric: true, transported: true, jeffreys: true},
		{name: KLSym, help: "the one-sided transportation divergence plus its transpose", order: 1, roundOff: 1e-9,
			symmetric: true, transported: true, sumTranspose: true},
		{name: KL, help: "transportation divergence with the KL cost, one-sided (the authors' NIST code)", order: 1, roundOff: 1e-9,
			transported: true},
		{name: ISE, help: "integrated squared error, the L2 distance between the densities (the paper's)", order: 1,
			symmetric: true, fromLogs: iseFromLogs},
		{name: CS, help: "Cauchy-Schwarz divergence, scale invariant", order: 2, symmetric: true, fromLogs: csFromLogs},
	}
}

func (d Distance) kind() distanceKind {
	for _, k := range distanceKinds() {
		if k.name == d {
			return k
		}
	}
	return distanceKind{name: d, order: 1}
}

// Distances lists every distance.
func Distances() []Distance {
	var out []Distance
	for _, k := range distanceKinds() {
		out = append(out, k.name)
	}
	return out
}

// DistanceHelp describes every distance in one line each.
func DistanceHelp() string {
	var b strings.Builder
	for _, k := range distanceKinds() {
		fmt.Fprintf(&b, "%s: %s\n", k.name, k.help)
	}
	return b.String()
}

// ParseDistance accepts the names in Distances.
func ParseDistance(s string) (Distance, error) {
	var names []string
	for _, d := range Distances() {
		if string(d) == s {
			return d, nil
		}
		names = append(names, string(d))
	}
	return "", fmt.Errorf("unknown distance %q: want one of %s", s, strings.Join(names, ", "))
}

// roundOff is the size below which a distance is indistinguishable from 0:
// the Gaussian KL of a component with itself is computed with an absolute
// error near 1e-14, so identical estimates must not be told apart by it.
// ISE and CS give exactly 0 on identical inputs, and on inputs that differ
// by rounding (see logRoundOff).
func (d Distance) RoundOff() float64 { return d.kind().roundOff }

// Order is the power of the estimation error d grows with (see
// divergence.Distance.Order).
func (d Distance) Order() float64 { return d.kind().order }

// Symmetric reports whether D(a, b) = D(b, a) for every a, b.
func (d Distance) Symmetric() bool { return d.kind().symmetric }

// transported reports whether d is a composite transportation divergence
// (computed from the component pairs' KL costs, without overlap integrals).
func (d Distance) Transported() bool { return d.kind().transported }

// distanceInput is a validated mixture with its factorized components.
type DistanceInput struct {
	weights []float64
	logw    []float64
	Comps   []*gauss.Gaussian
	// systems and logSelf are filled for ISE and CS (prepareInner).
	systems *overlapSystems
	logSelf float64
}

func NewDistanceInput(m *mixture.Mixture) (*DistanceInput, error) {
	comps, err := gauss.MixtureComponents(m.Weights, m.Means, m.Covs)
	if err != nil {
		return nil, err
	}
	return DistanceInputFrom(m, comps), nil
}

// distanceInputFrom is newDistanceInput with m's components already factorized.
func DistanceInputFrom(m *mixture.Mixture, comps []*gauss.Gaussian) *DistanceInput {
	p := &DistanceInput{weights: m.Weights, Comps: comps, logw: make([]float64, len(m.Weights))}
	for k, w := range m.Weights {
		p.logw[k] = math.Log(w)
	}
	return p
}

// logRoundOff bounds the relative rounding of the log inner products that
// ISE and CS are computed from.
const logRoundOff = 1e-13

// iseFromLogs returns sqrt(e^la + e^lb - 2 e^lc) without leaving the log
// scale until the end, so that tiny overlaps neither underflow nor cancel
// to a negative number.
//
// The subtraction cancels: la, lb and lc each carry a relative rounding
// error near 1e-15 (its bits depend on the order of the factorizations'
// sums), so a v within logRoundOff of the sum it came from is rounding,
// and 0.
func iseFromLogs(la, lb, lc float64) float64 {
	m := math.Max(la, lb)
	size := math.Exp(la-m) + math.Exp(lb-m)
	v := size - 2*math.Exp(lc-m)
	if v <= logRoundOff*size*(1+math.Abs(m)) {
		return 0
	}
	return math.Min(math.Exp(0.5*m)*math.Sqrt(v), gauss.MaxDistance)
}

func csFromLogs(la, lb, lc float64) float64 {
	v := -lc + 0.5*la + 0.5*lb
	if v <= logRoundOff*(1+math.Abs(la)+math.Abs(lb)) {
		return 0
	}
	return math.Min(v, gauss.MaxDistance)
}

// Between returns D(a, b).
func (d Distance) Between(a, b *mixture.Mixture) (float64, error) {
	mat, err := Pairwise(context.Background(), []*mixture.Mixture{a, b}, d, 1)
	if err != nil {
		return 0, err
	}
	return mat.At(0, 1), nil
}

// Pairwise returns the m x m matrix of D(G_i, G_j), computed by up to
// workers goroutines (0 means GOMAXPROCS). Each component is factorized once;
// each entry depends only on its two mixtures, so the result is the same for
// any number of workers. The diagonal is 0.
func Pairwise(ctx context.Context, mixtures []*mixture.Mixture, d Distance, workers int) (*mat.Dense, error) {
	return pairwise(ctx, mixtures, d, workers, MaxComponentKL)
}

// pairwise is Pairwise reading the transportation costs from KL values
// computed block by block (pairwiseByBlocks) when there are at
// most tableLimit components in all.
func pairwise(ctx context.Context, mixtures []*mixture.Mixture, d Distance, workers, tableLimit int) (*mat.Dense, error) {
	preps := make([]*DistanceInput, len(mixtures))
	for i, g := range mixtures {
		p, err := NewDistanceInput(g)
		if err != nil {
			return nil, fmt.Errorf("mixture %d: %w", i, err)
		}
		if g.Dim() != mixtures[0].Dim() {
			return nil, fmt.Errorf("mixture %d has dimension %d, mixture 0 has %d", i, g.Dim(), mixtures[0].Dim())
		}
		preps[i] = p
	}
	return PairwiseInputs(ctx, preps, d, workers, tableLimit)
}

// pairwiseInputs is pairwise on mixtures already distanceInput, all of one
// dimension.
func PairwiseInputs(ctx context.Context, preps []*DistanceInput, d Distance, workers, tableLimit int) (*mat.Dense, error) {
	if _, err := ParseDistance(string(d)); err != nil {
		return nil, err
	}
	m := len(preps)
	if m == 0 {
		return nil, fmt.Errorf("no mixtures")
	}
	dim := len(preps[0].Comps[0].Mean)
	out := mat.NewDense(m, m, nil)
	kind := d.kind()
	if d.Transported() {
		total := 0
		for _, p := range preps {
			total += len(p.Comps)
		}
		var err error
		if total <= tableLimit {
			if err := pairwiseByBlocks(ctx, preps, kind, workers, klBlockBytes, out); err != nil {
				return nil, err
			}
			return sumTranspose(kind, out), nil
		}
		if preps, err = refactorInputs(ctx, preps, workers); err != nil {
			return nil, err
		}
	}
	if !d.Transported() {
		// Self inner products first: every row needs them.
		err := parallel.For(ctx, m, workers, func(i int) error {
			if err := preps[i].PrepareInner(); err != nil {
				return fmt.Errorf("mixture %d with itself: %w", i, err)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	// One job per row; for symmetric distances only j > i is computed and
	// mirrored (KLSym needs both directions of KL first, summed below).
	// Each entry is written by exactly one job.
	mirror := kind.symmetric && !kind.sumTranspose
	err := parallel.For(ctx, m, workers, func(i int) error {
		s := NewOverlapScratch(dim)
		tr := newTransport()
		diff := make([]float64, dim)
		var terms []float64
		for j := 0; j < m; j++ {
			if i == j || (mirror && j < i) {
				continue
			}
			var v float64
			if kind.transported {
				var err error
				if v, err = ctd(preps[i], preps[j], kind.jeffreys, tr, diff); err != nil {
					return fmt.Errorf("D(%d, %d): %w", i, j, err)
				}
			} else {
				lc, err := LogInner(preps[i], preps[j], s, terms)
				if err != nil {
					return fmt.Errorf("D(%d, %d): %w", i, j, err)
				}
				v = kind.fromLogs(preps[i].logSelf, preps[j].logSelf, lc)
			}
			out.Set(i, j, v)
			if mirror {
				out.Set(j, i, v)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return sumTranspose(kind, out), nil
}

// sumTranspose returns out, made D(a, b) + D(b, a) in both entries when
// kind sums the two directions.
func sumTranspose(kind distanceKind, out *mat.Dense) *mat.Dense {
	if !kind.sumTranspose {
		return out
	}
	m, _ := out.Dims()
	for i := 0; i < m; i++ {
		for j := i + 1; j < m; j++ {
			v := math.Min(out.At(i, j)+out.At(j, i), gauss.MaxDistance)
			out.Set(i, j, v)
			out.Set(j, i, v)
		}
	}
	return out
}

// ctd returns the composite transportation divergence from a to b with
// cost KL(phi_ak || phi_bl), plus KL(phi_bl || phi_ak) when jeffreys.
func ctd(a, b *DistanceInput, jeffreys bool, tr *transport, diff []float64) (float64, error) {
	ka, kb := len(a.Comps), len(b.Comps)
	cost := tr.cost(ka, kb)
	for k, ga := range a.Comps {
		for l, gb := range b.Comps {
			c := gauss.KlGauss(ga, gb, diff)
			if jeffreys {
				c += gauss.KlGauss(gb, ga, diff)
			}
			cost[k*kb+l] = math.Min(c, gauss.MaxDistance)
		}
	}
	return tr.solve(a.weights, b.weights)
}

// refactorInputs returns preps with every component's factorizations (see
// gauss.Refactored), which the per-pair divergences read; preps whose
// components have them already are returned as they are.
func refactorInputs(ctx context.Context, preps []*DistanceInput, workers int) ([]*DistanceInput, error) {
	out := make([]*DistanceInput, len(preps))
	err := parallel.For(ctx, len(preps), workers, func(i int) error {
		comps, err := gauss.RefactorAll(preps[i].Comps)
		if err != nil {
			return fmt.Errorf("mixture %d: %w", i, err)
		}
		p := *preps[i]
		p.Comps = comps
		out[i] = &p
		return nil
	})
	return out, err
}
