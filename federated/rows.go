package federated

import (
	"context"
	"fmt"
	"math"

	"github.com/nistgmm/nistgmm/internal/parallel"
)

// rowSource computes, on demand, the distances between a few valid
// estimates and every valid one, so that a round at scale never holds the
// m x m matrix: each row costs m distances, and the component tables behind
// them are built once. Positions are into the round's Valid.
type rowSource struct {
	dist    Distance
	preps   []*distanceInput
	all     *gaussianPack // every valid estimate's components, in order (transported distances)
	offset  []int         // first component of each position in all
	workers int
	// out[a][b] = D(G_a, G_b) and in[a][b] = D(G_b, G_a) for each
	// position a computed so far (the same slice for a symmetric distance).
	out, in map[int][]float64
	// computed counts the rows computed, for the report; pairs the pairs
	// compared on their own.
	computed, pairs int
}

// rowBatch is the number of estimates whose rows share one component block:
// it bounds the block's memory at rowBatch K x (m K) entries.
const rowBatch = 8

func newRowSource(ctx context.Context, dist Distance, preps []*distanceInput, workers int) (*rowSource, error) {
	s := &rowSource{dist: dist, preps: preps, workers: workers, out: map[int][]float64{}, in: map[int][]float64{}}
	var comps []*gaussian
	for _, p := range preps {
		s.offset = append(s.offset, len(comps))
		comps = append(comps, p.comps...)
	}
	if dist.transported() {
		s.all = newGaussianPack(comps)
		return s, nil
	}
	return s, parallel.For(ctx, len(preps), workers, func(i int) error {
		if err := preps[i].prepareInner(); err != nil {
			return fmt.Errorf("valid estimate %d with itself: %w", i, err)
		}
		return nil
	})
}

// has reports whether position a's rows are computed.
func (s *rowSource) has(a int) bool { _, ok := s.out[a]; return ok }

// compute computes the rows of every position of from not yet computed.
func (s *rowSource) compute(ctx context.Context, from []int) error {
	var todo []int
	seen := map[int]bool{}
	for _, a := range from {
		if !s.has(a) && !seen[a] {
			todo = append(todo, a)
			seen[a] = true
		}
	}
	for lo := 0; lo < len(todo); lo += rowBatch {
		batch := todo[lo:min(lo+rowBatch, len(todo))]
		var err error
		if s.dist.transported() {
			err = s.transportedRows(ctx, batch)
		} else {
			err = s.logRows(ctx, batch)
		}
		if err != nil {
			return err
		}
		s.computed += len(batch)
	}
	return nil
}

// transportedRows computes the rows of batch from one component block.
func (s *rowSource) transportedRows(ctx context.Context, batch []int) error {
	var rows []*gaussian
	first := make([]int, len(batch))
	for f, a := range batch {
		first[f] = len(rows)
		rows = append(rows, s.preps[a].comps...)
	}
	block, err := newKLBlock(ctx, rows, packView{pack: s.all}, s.workers)
	if err != nil {
		return err
	}
	kind := s.dist.kind()
	m := len(s.preps)
	outs := make([][]float64, len(batch))
	ins := make([][]float64, len(batch))
	for f := range batch {
		outs[f] = make([]float64, m)
		ins[f] = outs[f]
		if !kind.symmetric || kind.sumTranspose {
			ins[f] = make([]float64, m)
		}
	}
	const chunk = 64
	err = parallel.For(ctx, (m+chunk-1)/chunk, s.workers, func(ch int) error {
		tr := newTransport()
		for b := ch * chunk; b < min((ch+1)*chunk, m); b++ {
			pb := s.preps[b]
			kb := len(pb.comps)
			for f, a := range batch {
				if a == b {
					continue
				}
				pa := s.preps[a]
				ka := len(pa.comps)
				cost := tr.cost(ka, kb)
				for k := 0; k < ka; k++ {
					for l := 0; l < kb; l++ {
						at := (first[f]+k)*block.nc + s.offset[b] + l
						c := block.fwd[at]
						if kind.jeffreys {
							c += block.bwd[at]
						}
						cost[k*kb+l] = math.Min(c, maxDistance)
					}
				}
				ab, err := tr.solve(pa.weights, pb.weights)
				if err != nil {
					return fmt.Errorf("D(%d, %d): %w", a, b, err)
				}
				outs[f][b] = ab
				if kind.symmetric && !kind.sumTranspose {
					continue
				}
				cost = tr.cost(kb, ka)
				for l := 0; l < kb; l++ {
					for k := 0; k < ka; k++ {
						cost[l*ka+k] = math.Min(block.bwd[(first[f]+k)*block.nc+s.offset[b]+l], maxDistance)
					}
				}
				ba, err := tr.solve(pb.weights, pa.weights)
				if err != nil {
					return fmt.Errorf("D(%d, %d): %w", b, a, err)
				}
				if kind.sumTranspose {
					outs[f][b] = math.Min(ab+ba, maxDistance)
					ins[f][b] = outs[f][b]
				} else {
					ins[f][b] = ba
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for f, a := range batch {
		s.out[a], s.in[a] = outs[f], ins[f]
	}
	return nil
}

// logRows computes the rows of batch for a distance from inner products
// (symmetric), pair by pair.
func (s *rowSource) logRows(ctx context.Context, batch []int) error {
	m := len(s.preps)
	kind := s.dist.kind()
	dim := len(s.preps[0].comps[0].mean)
	outs := make([][]float64, len(batch))
	for f := range batch {
		outs[f] = make([]float64, m)
	}
	const chunk = 16
	err := parallel.For(ctx, (m+chunk-1)/chunk, s.workers, func(ch int) error {
		sc := newOverlapScratch(dim)
		var terms []float64
		for b := ch * chunk; b < min((ch+1)*chunk, m); b++ {
			for f, a := range batch {
				if a == b {
					continue
				}
				lc, err := logInner(s.preps[a], s.preps[b], sc, terms)
				if err != nil {
					return fmt.Errorf("D(%d, %d): %w", a, b, err)
				}
				outs[f][b] = kind.fromLogs(s.preps[a].logSelf, s.preps[b].logSelf, lc)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for f, a := range batch {
		s.out[a], s.in[a] = outs[f], outs[f]
	}
	return nil
}

// pair returns D(G_a, G_b) and D(G_b, G_a), computed on their own.
func (s *rowSource) pair(a, b int) (float64, float64, error) {
	if s.has(a) {
		return s.out[a][b], s.in[a][b], nil
	}
	if s.has(b) {
		return s.in[b][a], s.out[b][a], nil
	}
	s.pairs++
	kind := s.dist.kind()
	dim := len(s.preps[a].comps[0].mean)
	if !kind.transported {
		lc, err := logInner(s.preps[a], s.preps[b], newOverlapScratch(dim), nil)
		if err != nil {
			return 0, 0, err
		}
		v := kind.fromLogs(s.preps[a].logSelf, s.preps[b].logSelf, lc)
		return v, v, nil
	}
	tr := newTransport()
	diff := make([]float64, dim)
	ab, err := ctd(s.preps[a], s.preps[b], kind.jeffreys, tr, diff)
	if err != nil {
		return 0, 0, err
	}
	if kind.symmetric && !kind.sumTranspose {
		return ab, ab, nil
	}
	ba, err := ctd(s.preps[b], s.preps[a], kind.jeffreys, tr, diff)
	if err != nil {
		return 0, 0, err
	}
	if kind.sumTranspose {
		v := math.Min(ab+ba, maxDistance)
		return v, v, nil
	}
	return ab, ba, nil
}

func (s *rowSource) rowOut(a int) []float64 { return s.out[a] }
func (s *rowSource) rowIn(a int) []float64  { return s.in[a] }

// pack returns every valid estimate's components packed (built on first
// use for distances that do not need it) and each position's first
// component in it.
func (s *rowSource) pack() (*gaussianPack, []int) {
	if s.all == nil {
		var comps []*gaussian
		for _, p := range s.preps {
			comps = append(comps, p.comps...)
		}
		s.all = newGaussianPack(comps)
	}
	return s.all, s.offset
}
