package experiments

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"sort"
	"strings"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/nistgmm/nistgmm/federated/estimates"
	"github.com/nistgmm/nistgmm/federated/mixture"
	"github.com/nistgmm/nistgmm/federated/server"
	"github.com/nistgmm/nistgmm/internal/parallel"
	"github.com/nistgmm/nistgmm/mixsim"
)

// VerdictCalibration describes the clean rounds on which the constants of
// ARED's verdicts are chosen: random mixtures of Section 5's generator
// with a prescribed maximum overlap, every site honest, fitted by the
// product's EM, aggregated by the default server. Every constant of the
// verdicts comes from such rounds, never from the NIST features.
type VerdictCalibration struct {
	Rounds int
	Seed   uint64
	// Ks, Dims, Ms and Omegas are drawn uniformly per round (see LargeM).
	Ks, Dims, Ms []int
	Omegas       []float64
	// NMin and NMax bound the sites' sample sizes: equal (1,000) in half
	// the rounds, log-uniform in [NMin, NMax] in the other half.
	NMin, NMax int
	// LargeM and LargeKD keep large rounds affordable: a round with m
	// above LargeM redraws K and d until K d <= LargeKD.
	LargeM  int
	LargeKD int
	Workers int
}

// DefaultVerdictCalibration is the calibration the product's constants
// were chosen on.
func DefaultVerdictCalibration() VerdictCalibration {
	return VerdictCalibration{Rounds: 300, Seed: 1, Ks: []int{2, 3, 5, 10}, Dims: []int{2, 5, 10, 20},
		Ms: []int{5, 10, 20, 50, 200, 1000}, Omegas: []float64{0.001, 0.01, 0.05}, NMin: 100, NMax: 5000, LargeM: 50, LargeKD: 25}
}

// VerdictRound is one clean round: its shape, and the largest verdict z
// among its (honest) sites.
type VerdictRound struct {
	K, Dim, M int
	Omega     float64
	Unequal   bool
	ZMax      float64
	Flagged   int // sites flagged at the default level
}

// CalibrateVerdicts runs the clean rounds. Round r draws everything from
// its own generator (seed, r), so the result does not depend on Workers.
func CalibrateVerdicts(ctx context.Context, c VerdictCalibration, done func(int)) ([]VerdictRound, error) {
	out := make([]VerdictRound, c.Rounds)
	err := parallel.For(ctx, c.Rounds, c.Workers, func(r int) error {
		rng := rand.New(rand.NewPCG(c.Seed, uint64(r)))
		v := VerdictRound{K: c.Ks[rng.IntN(len(c.Ks))], Dim: c.Dims[rng.IntN(len(c.Dims))], M: c.Ms[rng.IntN(len(c.Ms))],
			Omega: c.Omegas[rng.IntN(len(c.Omegas))], Unequal: rng.IntN(2) == 0}
		for v.M > c.LargeM && v.K*v.Dim > c.LargeKD {
			v.K, v.Dim = c.Ks[rng.IntN(len(c.Ks))], c.Dims[rng.IntN(len(c.Dims))]
		}
		truth, _, err := mixsim.Generator{K: v.K, Dim: v.Dim, MaxOmega: v.Omega}.Generate(rng)
		if err != nil {
			return fmt.Errorf("round %d: %w", r, err)
		}
		ests := make([]estimates.Estimate, v.M)
		for i := range ests {
			n := 1000
			if v.Unequal {
				n = int(float64(c.NMin) * math.Exp(rng.Float64()*math.Log(float64(c.NMax)/float64(c.NMin))))
			}
			n = max(n, 10*v.K)
			X, _, err := truth.Sample(n, rng)
			if err != nil {
				return err
			}
			fit, _, err := (&mixture.EM{K: v.K}).Fit(ctx, X, rng)
			if err != nil {
				return fmt.Errorf("round %d, site %d: %w", r, i, err)
			}
			ests[i] = estimates.Estimate{ID: fmt.Sprint(i), N: n, Mixture: fit}
		}
		round, err := (&server.Server{Workers: 1}).Prepare(ctx, ests)
		if err != nil {
			return fmt.Errorf("round %d: %w", r, err)
		}
		res, err := round.Aggregate(ctx, server.ARED, nil)
		if err != nil {
			return fmt.Errorf("round %d: %w", r, err)
		}
		v.ZMax = math.Inf(-1)
		for _, vd := range res.Verdicts {
			v.ZMax = math.Max(v.ZMax, math.Max(vd.Z, vd.WeightZ))
			if vd.Flagged {
				v.Flagged++
			}
		}
		out[r] = v
		if done != nil {
			done(r)
		}
		return nil
	})
	return out, err
}

// FlagsAnySite reports whether a round whose largest z (of either
// statistic) is zmax among m sites flags one at level with a Student t
// reference capped at maxDOF degrees of freedom: Holm's first step, which
// decides whether any site is flagged, on the p-value twice the tail.
func FlagsAnySite(zmax float64, m int, level, maxDOF float64) bool {
	dof := math.Min(math.Max(0.37*float64(m-1), 1), maxDOF)
	return 2*(distuv.StudentsT{Mu: 0, Sigma: 1, Nu: dof}).Survival(zmax) <= level/float64(m)
}

// WriteVerdictCalibration writes, per m and overall, the share of rounds
// that flag an honest site under each cap on the degrees of freedom.
func WriteVerdictCalibration(w io.Writer, rounds []VerdictRound, level float64, dofs []float64) error {
	byM := map[int][]VerdictRound{}
	var ms []int
	for _, r := range rounds {
		if byM[r.M] == nil {
			ms = append(ms, r.M)
		}
		byM[r.M] = append(byM[r.M], r)
	}
	sort.Ints(ms)
	var b strings.Builder
	fmt.Fprintf(&b, "Clean rounds that flag at least one honest site at level %g, by the cap on the reference's degrees of freedom\n\n", level)
	fmt.Fprintf(&b, "| m | rounds |")
	for _, d := range dofs {
		fmt.Fprintf(&b, " cap %g |", d)
	}
	fmt.Fprintf(&b, "\n|---|---|%s\n", strings.Repeat("---|", len(dofs)))
	row := func(name string, rs []VerdictRound) {
		fmt.Fprintf(&b, "| %s | %d |", name, len(rs))
		for _, d := range dofs {
			n := 0
			for _, r := range rs {
				if FlagsAnySite(r.ZMax, r.M, level, d) {
					n++
				}
			}
			fmt.Fprintf(&b, " %.1f%% |", 100*float64(n)/float64(len(rs)))
		}
		b.WriteString("\n")
	}
	for _, m := range ms {
		row(fmt.Sprint(m), byM[m])
	}
	row("all", rounds)
	_, err := io.WriteString(w, b.String())
	return err
}
