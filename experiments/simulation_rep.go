package experiments

import (
	"context"
	"fmt"
	"hash/fnv"
	"math"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/nistgmm/nistgmm/eval"
	"github.com/nistgmm/nistgmm/federated/adversary"
	"github.com/nistgmm/nistgmm/federated/mixture"
	"github.com/nistgmm/nistgmm/federated/server"
	"github.com/nistgmm/nistgmm/internal/parallel"
	"github.com/nistgmm/nistgmm/mixsim"
)

// SimTruth is the true mixture of one MaxOmega in one repetition.
type SimTruth struct {
	Target   float64 `json:"target_max_omega"`
	MaxOmega float64 `json:"max_omega"` // achieved, by mixsim's exact overlap
	BarOmega float64 `json:"bar_omega"`
}

// SimMethod is one method's estimate in one cell, scored against the truth.
type SimMethod struct {
	Method server.Method `json:"method"`
	W1     float64       `json:"w1"`  // transportation distance to the true mixing distribution
	ARI    float64       `json:"ari"` // agreement of its clustering of the test sample with the truth's
	// Flagged counts the machines the method judged Byzantine, Caught
	// those that were.
	Flagged int `json:"flagged"`
	Caught  int `json:"byzantine_caught"`
}

// SimResult is one cell of the grid in one repetition.
type SimResult struct {
	Failure   adversary.Failure `json:"failure"`
	Alpha     float64           `json:"alpha"`
	M         int               `json:"m"`
	N         int               `json:"n"`
	MaxOmega  float64           `json:"max_omega"`
	Byzantine int               `json:"byzantine"`
	Methods   []SimMethod       `json:"methods"`
}

// SimRep is one repetition of the simulation study.
type SimRep struct {
	Rep     int         `json:"rep"`
	Truths  []SimTruth  `json:"truths"`
	Results []SimResult `json:"results"`
	// FitSeconds and AggregationSeconds split its cost.
	FitSeconds         float64 `json:"fit_seconds"`
	AggregationSeconds float64 `json:"aggregation_seconds"`
}

// RepIndex is the repetition's number.
func (r SimRep) RepIndex() int { return r.Rep }

const (
	purposeTruth = iota + 101
	purposeSample
	purposeTest
	purposeSimOrder
	purposeSimCorrupt
	purposeSimFit
)

// key hashes the values that identify a stream within a repetition, so
// that a cell's numbers do not depend on which other cells the grid has:
// the cell (m = 100, n = 5,000, MaxOmega = 0.3) of Figure 2 is the same as
// in Figure 3 under the same seed.
func key(parts ...float64) uint64 {
	h := fnv.New64a()
	var b [8]byte
	for _, p := range parts {
		u := math.Float64bits(p)
		for i := range b {
			b[i] = byte(u >> (8 * i))
		}
		h.Write(b[:])
	}
	return h.Sum64() >> 32 // stream keeps the purpose in the high bits
}

// RunSimRepetition runs repetition rep of the grid: for each MaxOmega a
// true mixture from mixsim and a test sample; for each (m, n) every
// machine's n observations drawn from the truth (one machine at a time:
// memory stays at one local sample per worker) and fitted; then for each
// failure kind and rate the Byzantine machines' fits corrupted (the set at
// a lower rate inside the set at a higher one), every method aggregated,
// and scored by W1 to the truth and by the ARI of its clustering of the
// test sample against the truth's. step, if not nil, is called after every
// fit and every round.
func RunSimRepetition(ctx context.Context, c SimConfig, rep int, step func(Work)) (*SimRep, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if step == nil {
		step = func(Work) {}
	}
	res := &SimRep{Rep: rep}
	for _, om := range c.MaxOmegas {
		gen := mixsim.Generator{K: c.K, Dim: c.Dim, MaxOmega: om}
		truth, ov, err := gen.Generate(stream(c.Seed, rep, purposeTruth, key(om)))
		if err != nil {
			return nil, fmt.Errorf("MaxOmega %v: %w", om, err)
		}
		res.Truths = append(res.Truths, SimTruth{Target: om, MaxOmega: ov.Max, BarOmega: ov.Bar})
		test, _, err := truth.Sample(c.TestN, stream(c.Seed, rep, purposeTest, key(om)))
		if err != nil {
			return nil, err
		}
		truthLabels, err := truth.Predict(test)
		if err != nil {
			return nil, err
		}
		for _, cell := range c.cells() {
			if cell.MaxOmega != om {
				continue
			}
			start := time.Now()
			honest, err := c.fitCell(ctx, cell, truth, rep, step)
			if err != nil {
				return nil, fmt.Errorf("m = %d, n = %d, MaxOmega = %v: %w", cell.M, cell.N, om, err)
			}
			res.FitSeconds += time.Since(start).Seconds()
			start = time.Now()
			for _, f := range c.Failures {
				rs, err := c.roundsOf(ctx, cell, f, honest, truth, test, truthLabels, rep, step)
				if err != nil {
					return nil, fmt.Errorf("m = %d, n = %d, MaxOmega = %v, %s failure: %w", cell.M, cell.N, om, f, err)
				}
				res.Results = append(res.Results, rs...)
			}
			res.AggregationSeconds += time.Since(start).Seconds()
		}
	}
	return res, nil
}

// fitCell draws and fits every machine of a cell.
func (c SimConfig) fitCell(ctx context.Context, cell simCell, truth *mixture.Mixture, rep int, step func(Work)) ([]*mixture.Mixture, error) {
	honest := make([]*mixture.Mixture, cell.M)
	err := parallel.For(ctx, cell.M, c.Workers, func(i int) error {
		began := time.Now()
		id := key(float64(cell.M), float64(cell.N), cell.MaxOmega, float64(i))
		X, _, err := truth.Sample(cell.N, stream(c.Seed, rep, purposeSample, id))
		if err != nil {
			return err
		}
		g, _, err := c.em(truth).Fit(ctx, X, stream(c.Seed, rep, purposeSimFit, id))
		if err != nil {
			return fmt.Errorf("machine %d: %w", i, err)
		}
		honest[i] = g
		timed(step, WorkLocalFit, began)
		return nil
	})
	return honest, err
}

// roundsOf corrupts the cell's fits by failure f at every rate and scores
// every method.
func (c SimConfig) roundsOf(ctx context.Context, cell simCell, f adversary.Failure, honest []*mixture.Mixture,
	truth *mixture.Mixture, test *mat.Dense, truthLabels []int, rep int, step func(Work)) ([]SimResult, error) {
	id := key(float64(cell.M), float64(cell.N), cell.MaxOmega, float64(failureIndex(f)))
	order := stream(c.Seed, rep, purposeSimOrder, id).Perm(cell.M)
	most := 0
	for _, a := range c.Alphas {
		most = max(most, byzantineCount(a, cell.M))
	}
	corrupted := make([]*mixture.Mixture, most)
	for j := range corrupted {
		g, err := adversary.Corrupt(honest[order[j]], f, stream(c.Seed, rep, purposeSimCorrupt, key(float64(id), float64(j))))
		if err != nil {
			return nil, err
		}
		corrupted[j] = g
	}
	// The alphas' rounds are subsets of the same fits: their distances are
	// computed once.
	known, err := knownInMachineOrder(ctx, c.Aggregation.server(c.K, c.Seed^uint64(rep)<<20, c.Workers), honest, order, corrupted)
	if err != nil {
		return nil, err
	}
	var out []SimResult
	for _, alpha := range c.Alphas {
		began := time.Now()
		nb := byzantineCount(alpha, cell.M)
		ests, byz := byzantineRound(honest, func(int) int { return cell.N }, order, corrupted, nb)
		srv := c.Aggregation.server(c.K, c.Seed^uint64(rep)<<20, c.Workers)
		srv.Known = known
		round, err := srv.Prepare(ctx, ests)
		if err != nil {
			return nil, err
		}
		r := SimResult{Failure: f, Alpha: alpha, M: cell.M, N: cell.N, MaxOmega: cell.MaxOmega, Byzantine: nb}
		err = eachMethod(ctx, round, byz, func(m server.Method, agg *server.Result, _ time.Duration) error {
			w1, err := eval.W1(agg.Mixture, truth)
			if err != nil {
				return err
			}
			labels, err := agg.Mixture.Predict(test)
			if err != nil {
				return fmt.Errorf("clustering the test sample: %w", err)
			}
			ari, err := eval.ARI(labels, truthLabels)
			if err != nil {
				return err
			}
			det := eval.Detect(agg.Flagged, byz)
			r.Methods = append(r.Methods, SimMethod{Method: m, W1: w1, ARI: ari, Flagged: len(agg.Flagged), Caught: det.TruePositives})
			return nil
		})
		if err != nil {
			return nil, err
		}
		out = append(out, r)
		timed(step, WorkRound, began)
	}
	return out, nil
}

func failureIndex(f adversary.Failure) int {
	for i, g := range SimFailures() {
		if g == f {
			return i
		}
	}
	return -1
}

func byzantineCount(alpha float64, m int) int {
	return int(math.Floor(alpha*float64(m) + 1e-9))
}
