package experiments

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"runtime/metrics"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/nistgmm/nistgmm/eval"
	"github.com/nistgmm/nistgmm/federated/adversary"
	"github.com/nistgmm/nistgmm/federated/estimates"
	"github.com/nistgmm/nistgmm/federated/mixture"
	"github.com/nistgmm/nistgmm/federated/server"
	"github.com/nistgmm/nistgmm/mixsim"
)

// ScaleConfig is a measurement of the server against the number of
// machines: for each m, m estimates of one random mixture (MixSim, MaxOmega
// 0.3), a share Alpha of them replaced by a failure, aggregated by ARED.
// The estimates are made without EM, as the moments of each component's
// own points in an n-point sample (the sampling noise of a local fit
// without its optimization cost), so thousands of machines are cheap.
type ScaleConfig struct {
	Ms  []int `json:"ms"`
	K   int   `json:"k"`
	Dim int   `json:"d"`
	N   int   `json:"n"` // observations per machine
	// MaxOmega is the largest pairwise overlap of the true mixture (MixSim);
	// 0 means 0.3. In high dimension smaller overlaps are the reachable ones.
	MaxOmega float64           `json:"max_omega,omitempty"`
	Alpha    float64           `json:"alpha"`
	Failure  adversary.Failure `json:"failure"`
	Seed     uint64            `json:"seed"`
	// Reps is the number of rounds drawn per m (0 means 1); the row gives
	// medians over them.
	Reps int `json:"reps,omitempty"`
	// ByzantineN, when positive, is the sample size every Byzantine machine
	// reports (the n-inflation attack; 0: the honest n).
	ByzantineN int `json:"byzantine_n,omitempty"`
	// CompareExact also aggregates every round with the exact centre
	// search, for the time and W1 the sampled search is compared with.
	CompareExact bool `json:"compare_exact,omitempty"`
	Aggregation
}

// ScaleRow is one m's measurement: medians over the repetitions, but for
// the peak heap (the largest) and the detection rates (means).
type ScaleRow struct {
	M       int     `json:"m"`
	Reps    int     `json:"reps"`
	Seconds float64 `json:"seconds"` // Prepare (validation, distances, COAT) and ARED
	// PeakHeapBytes is the largest heap in use sampled every 10 ms during
	// the aggregation, less the heap before it.
	PeakHeapBytes uint64  `json:"peak_heap_bytes"`
	Recall        float64 `json:"recall"`
	HonestFlagged float64 `json:"honest_flagged"`
	W1            float64 `json:"w1"` // ARED's answer to the truth
	// CentreSearch says how the first repetition found COAT.
	CentreSearch string `json:"centre_search"`
	// With CompareExact: the exact search's seconds and W1, and the ratio
	// of the W1s (this search's over the exact one's), median and largest.
	ExactSeconds float64 `json:"exact_seconds,omitempty"`
	ExactW1      float64 `json:"exact_w1,omitempty"`
	W1Ratio      float64 `json:"w1_ratio,omitempty"`
	W1RatioMax   float64 `json:"w1_ratio_max,omitempty"`
}

// Validate reports a measurement that cannot run.
func (c ScaleConfig) Validate() error {
	switch {
	case len(c.Ms) == 0:
		return fmt.Errorf("no machine counts")
	case c.K < 1 || c.Dim < 1:
		return fmt.Errorf("order %d and dimension %d, want at least 1 each", c.K, c.Dim)
	case c.N <= c.K*(c.Dim+1):
		return fmt.Errorf("%d observations per machine cannot give %d covariances in dimension %d", c.N, c.K, c.Dim)
	case !(c.MaxOmega >= 0 && c.MaxOmega < 1):
		return fmt.Errorf("largest overlap %v is outside (0, 1)", c.MaxOmega)
	case c.ByzantineN < 0:
		return fmt.Errorf("Byzantine sample size %d, want 0 (the honest n) or more", c.ByzantineN)
	case c.Reps < 0:
		return fmt.Errorf("%d repetitions, want at least 1 (0 for 1)", c.Reps)
	case !(c.Alpha >= 0 && c.Alpha < 0.5):
		return fmt.Errorf("failure rate %v is outside [0, 0.5)", c.Alpha)
	}
	for _, m := range c.Ms {
		if m < 3 {
			return fmt.Errorf("%d machines: the robust methods need at least 3", m)
		}
	}
	if _, err := adversary.ParseFailure(string(c.Failure)); err != nil {
		return err
	}
	if c.Failure.Adaptive() || c.Failure == adversary.Letters {
		return fmt.Errorf("failure %s: want one that corrupts an estimate on its own (mean, cov, weight)", c.Failure)
	}
	return c.Aggregation.validate()
}

// RunScale measures every m of the configuration, in order. save, when
// not nil, receives each m's estimates and the indices of the Byzantine
// ones before they are aggregated (to write them for `aggregate`).
func RunScale(ctx context.Context, c ScaleConfig, step func(), save func(m int, ests []estimates.Estimate, byzantine []int) error) ([]ScaleRow, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if step == nil {
		step = func() {}
	}
	omega := c.MaxOmega
	if omega == 0 {
		omega = 0.3
	}
	gen := mixsim.Generator{K: c.K, Dim: c.Dim, MaxOmega: omega, MaxEccentricity: 0.9}
	truth, _, err := gen.Generate(rand.New(rand.NewPCG(c.Seed, 0x7363616c)))
	if err != nil {
		return nil, err
	}
	reps := max(c.Reps, 1)
	var rows []ScaleRow
	for _, m := range c.Ms {
		var runs, exacts []*ScaleRow
		for rep := 0; rep < reps; rep++ {
			// Repetition 0 is drawn as a single measurement always was.
			rng := rand.New(rand.NewPCG(c.Seed, uint64(m)+uint64(rep)<<32))
			ests, byz, err := scaleRound(c, truth, m, rng)
			if err != nil {
				return nil, err
			}
			if save != nil && rep == 0 {
				if err := save(m, ests, byz); err != nil {
					return nil, err
				}
			}
			row, err := measure(ctx, c, c.Aggregation, ests, byz, truth)
			if err != nil {
				return nil, fmt.Errorf("m = %d: %w", m, err)
			}
			runs = append(runs, row)
			if c.CompareExact {
				a := c.Aggregation
				a.Centre = server.CentreExact
				row, err := measure(ctx, c, a, ests, byz, truth)
				if err != nil {
					return nil, fmt.Errorf("m = %d, exact search: %w", m, err)
				}
				exacts = append(exacts, row)
			}
			step()
		}
		rows = append(rows, summarizeScale(m, runs, exacts))
	}
	return rows, nil
}

// scaleRound draws m estimates of truth, the Byzantine ones corrupted.
func scaleRound(c ScaleConfig, truth *mixture.Mixture, m int, rng *rand.Rand) ([]estimates.Estimate, []int, error) {
	ests := make([]estimates.Estimate, m)
	nb := byzantineCount(c.Alpha, m)
	order := rng.Perm(m)
	for i := range ests {
		g, err := momentEstimate(truth, c.N, rng)
		if err != nil {
			return nil, nil, err
		}
		ests[i] = estimates.Estimate{ID: MachineName(i), N: c.N, Mixture: g}
	}
	byz := append([]int(nil), order[:nb]...)
	sort.Ints(byz)
	for _, b := range byz {
		var err error
		if ests[b].Mixture, err = adversary.Corrupt(ests[b].Mixture, c.Failure, rng); err != nil {
			return nil, nil, err
		}
		if c.ByzantineN > 0 {
			ests[b].N = c.ByzantineN
		}
	}
	return ests, byz, nil
}

// summarizeScale is one m's row from its repetitions.
func summarizeScale(m int, runs, exacts []*ScaleRow) ScaleRow {
	median := func(v []float64) float64 {
		sort.Float64s(v)
		n := len(v)
		if n%2 == 1 {
			return v[n/2]
		}
		return (v[n/2-1] + v[n/2]) / 2
	}
	var secs, w1s []float64
	row := ScaleRow{M: m, Reps: len(runs), CentreSearch: runs[0].CentreSearch}
	for _, r := range runs {
		secs, w1s = append(secs, r.Seconds), append(w1s, r.W1)
		row.PeakHeapBytes = max(row.PeakHeapBytes, r.PeakHeapBytes)
		row.Recall += r.Recall / float64(len(runs))
		row.HonestFlagged += r.HonestFlagged / float64(len(runs))
	}
	row.Seconds, row.W1 = median(secs), median(w1s)
	if len(exacts) == 0 {
		return row
	}
	var esecs, ew1s, ratios []float64
	for i, e := range exacts {
		esecs, ew1s = append(esecs, e.Seconds), append(ew1s, e.W1)
		ratio := runs[i].W1 / e.W1
		ratios = append(ratios, ratio)
		row.W1RatioMax = max(row.W1RatioMax, ratio)
	}
	row.ExactSeconds, row.ExactW1, row.W1Ratio = median(esecs), median(ew1s), median(ratios)
	return row
}

// measure aggregates with ARED under the settings a, timing it and
// sampling the heap.
func measure(ctx context.Context, c ScaleConfig, a Aggregation, ests []estimates.Estimate, byz []int, truth *mixture.Mixture) (*ScaleRow, error) {
	runtime.GC()
	before := heapInUse()
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()

		for {
			select {
			case <-done:
				return
			case <-time.After(10 * time.Millisecond):
				if h := heapInUse(); h > peak.Load() {
					peak.Store(h)
				}
			}
		}
	}()
	start := time.Now()
	srv := a.server(c.K, c.Seed, 0)
	round, err := srv.Prepare(ctx, ests)
	var res *server.Result
	if err == nil {
		res, err = round.Aggregate(ctx, server.ARED, nil)
	}
	seconds := time.Since(start).Seconds()
	close(done)
	wg.Wait()
	if err != nil {
		return nil, err
	}
	row := &ScaleRow{M: len(ests), Reps: 1, Seconds: seconds, CentreSearch: round.CentreSearch}
	if p := peak.Load(); p > before {
		row.PeakHeapBytes = p - before
	}
	det := eval.Detect(res.Flagged, byz)
	row.Recall = det.Recall()
	if honest := len(ests) - len(byz); honest > 0 {
		row.HonestFlagged = float64(det.FalsePositives) / float64(honest)
	}
	if row.W1, err = eval.W1(res.Mixture, truth); err != nil {
		return nil, err
	}
	return row, nil
}

// heapInUse is the heap in spans in use (runtime.MemStats.HeapInuse), read
// through runtime/metrics, which does not stop the world as ReadMemStats
// does: sampled every 10 ms, ReadMemStats doubled the times it measured.
func heapInUse() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/unused:bytes"}}
	metrics.Read(s)
	var total uint64
	for _, v := range s {
		if v.Value.Kind() == metrics.KindUint64 {
			total += v.Value.Uint64()
		}
	}
	return total
}

// momentEstimate draws n points of truth and returns, per component, the
// share, mean and covariance of the points it generated.
func momentEstimate(truth *mixture.Mixture, n int, rng *rand.Rand) (*mixture.Mixture, error) {
	X, labels, err := truth.Sample(n, rng)
	if err != nil {
		return nil, err
	}
	K, d := truth.K(), truth.Dim()
	out := &mixture.Mixture{Weights: make([]float64, K)}
	for k := 0; k < K; k++ {
		var idx []int
		for i, l := range labels {
			if l == k {
				idx = append(idx, i)
			}
		}
		if len(idx) <= d {
			return truth.Clone(), nil // too few points for a covariance: the truth itself
		}
		out.Weights[k] = float64(len(idx)) / float64(n)
		mean := make([]float64, d)
		for _, i := range idx {
			for j := 0; j < d; j++ {
				mean[j] += X.At(i, j) / float64(len(idx))
			}
		}
		cov := mat.NewSymDense(d, nil)
		for _, i := range idx {
			for a := 0; a < d; a++ {
				da := X.At(i, a) - mean[a]
				for b := a; b < d; b++ {
					cov.SetSym(a, b, cov.At(a, b)+da*(X.At(i, b)-mean[b])/float64(len(idx)-1))
				}
			}
		}
		out.Means = append(out.Means, mean)
		out.Covs = append(out.Covs, cov)
	}
	return out, nil
}
