package kernel

import (
	"context"
	"fmt"
	"math"
	"sync"

	"github.com/nistgmm/nistgmm/internal/parallel"

	"github.com/nistgmm/nistgmm/federated/internal/gauss"
)

// rowSource computes, on demand, the distances between a few valid
// estimates and every valid one, so that a round at scale never holds the
// m x m matrix: each row costs m distances, and the component tables behind
// them are built once. Positions are into the round's Valid.
type RowSource struct {
	Dist    Distance
	Preps   []*DistanceInput
	all     *GaussianPack // every valid estimate's components, in order (transported distances)
	Offset  []int         // first component of each position in all
	workers int
	// out[a][b] = D(G_a, G_b) and in[a][b] = D(G_b, G_a) for each
	// position a computed so far (the same slice for a symmetric distance).
	Out, In map[int][]float64
	// computed counts the rows computed, for the report; pairs the pairs
	// compared on their own.
	Computed, Pairs int
	// inverses holds the buffers Pair unpacks its two estimates' inverses
	// into.
	inverses sync.Pool
	// windowChunks replaces klWindowChunks when positive.
	windowChunks int
}

// rowBatch is the number of estimates whose rows share one component block
// (computed by windows of columns, see klWindowChunks). It is fixed: the
// block's products, hence the last bits of its entries, depend on how many
// rows it has.
const rowBatch = 8

func NewRowSource(ctx context.Context, dist Distance, preps []*DistanceInput, workers int) (*RowSource, error) {
	s := &RowSource{Dist: dist, Preps: preps, workers: workers, Out: map[int][]float64{}, In: map[int][]float64{}}
	var comps []*gauss.Gaussian
	for _, p := range preps {
		s.Offset = append(s.Offset, len(comps))
		comps = append(comps, p.Comps...)
	}
	if dist.Transported() {
		var err error
		if s.all, err = newGaussianPack(ctx, comps, s.workers); err != nil {
			return nil, err
		}
		return s, nil
	}
	return s, parallel.For(ctx, len(preps), workers, func(i int) error {
		if err := preps[i].PrepareInner(); err != nil {
			return fmt.Errorf("valid estimate %d with itself: %w", i, err)
		}
		return nil
	})
}

// has reports whether position a's rows are computed.
func (s *RowSource) has(a int) bool { _, ok := s.Out[a]; return ok }

// compute computes the rows of every position of from not yet computed.
func (s *RowSource) Compute(ctx context.Context, from []int) error {
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
		if s.Dist.Transported() {
			err = s.transportedRows(ctx, batch)
		} else {
			err = s.logRows(ctx, batch)
		}
		if err != nil {
			return err
		}
		s.Computed += len(batch)
	}
	return nil
}

// klWindowChunks is the number of column chunks of a window: a batch's
// block against every component is computed and consumed a window at a
// time, so that it holds 8 K x 2,048 entries rather than 8 K x m K (32 MB
// at 10,000 machines of K = 5). The windows' chunks are the chunks of one
// block of all the columns, so every entry is the same.
const klWindowChunks = 8

// transportedRows computes the rows of batch from their component block
// against every component, computed by windows of columns.
func (s *RowSource) transportedRows(ctx context.Context, batch []int) (err error) {
	var rows []*gauss.Gaussian
	first := make([]int, len(batch))
	for f, a := range batch {
		first[f] = len(rows)
		rows = append(rows, s.Preps[a].Comps...)
	}
	kind := s.Dist.kind()
	m := len(s.Preps)
	outs := make([][]float64, len(batch))
	ins := make([][]float64, len(batch))
	for f := range batch {
		outs[f] = make([]float64, m)
		ins[f] = outs[f]
		if !kind.symmetric || kind.sumTranspose {
			ins[f] = make([]float64, m)
		}
	}
	defer func() { // the rows are kept only when every one is complete
		if err != nil {
			return
		}
		for f, a := range batch {
			s.Out[a], s.In[a] = outs[f], ins[f]
		}
	}()
	cols := PackView{Pack: s.all}
	nr, nc := len(rows), cols.len()
	if nr == 0 || nc == 0 {
		return nil // no components: every distance stays 0, as one empty block gave
	}
	prepared, err := newKLRows(ctx, rows, s.all.d, s.workers)
	if err != nil {
		return err
	}
	chunks := klWindowChunks
	if s.windowChunks > 0 {
		chunks = s.windowChunks
	}
	width := chunks * klBlockChunk
	end := func(b int) int { return s.Offset[b] + len(s.Preps[b].Comps) }
	var win, carry klBlock
	done := 0 // columns [.., done) are computed, in win
	base := 0 // win's first column
	for start := 0; start < m; {
		// The window starts at the chunk of the first estimate not yet
		// consumed and ends a width later, or with the first estimate
		// that reaches beyond that.
		j0 := s.Offset[start] / klBlockChunk * klBlockChunk
		j1 := min(j0+width, nc)
		if end(start) > j1 {
			j1 = min((end(start)+klBlockChunk-1)/klBlockChunk*klBlockChunk, nc)
		}
		stop := start
		for stop < m && end(stop) <= j1 {
			stop++
		}
		// The columns [j0, done) were computed in the last window: carried
		// over, not computed again.
		kept := max(done-j0, 0)
		if kept > 0 {
			carry = klBlock{nr: nr, Nc: kept, fwd: grow(carry.fwd, nr*kept), Bwd: grow(carry.Bwd, nr*kept)}
			for i := 0; i < nr; i++ {
				copy(carry.fwd[i*kept:(i+1)*kept], win.fwd[i*win.Nc+j0-base:])
				copy(carry.Bwd[i*kept:(i+1)*kept], win.Bwd[i*win.Nc+j0-base:])
			}
		}
		w := j1 - j0
		win = klBlock{nr: nr, Nc: w, fwd: grow(win.fwd, nr*w), Bwd: grow(win.Bwd, nr*w)}
		for i := 0; i < nr && kept > 0; i++ {
			copy(win.fwd[i*w:i*w+kept], carry.fwd[i*kept:(i+1)*kept])
			copy(win.Bwd[i*w:i*w+kept], carry.Bwd[i*kept:(i+1)*kept])
		}
		base = j0
		if err := prepared.fill(ctx, &win, base, cols, j0+kept, j1, s.workers); err != nil {
			return err
		}
		done = j1
		if err := s.solveWindow(ctx, &win, base, batch, first, start, stop, outs, ins); err != nil {
			return err
		}
		start = stop
	}
	return nil
}

// solveWindow computes the transported divergences between batch and the
// estimates [start, stop), whose components are columns of block (its
// column 0 the pack's column base).
func (s *RowSource) solveWindow(ctx context.Context, block *klBlock, base int, batch, first []int, start, stop int, outs, ins [][]float64) error {
	kind := s.Dist.kind()
	const chunk = 64
	return parallel.For(ctx, (stop-start+chunk-1)/chunk, s.workers, func(ch int) error {
		tr := newTransport()
		for b := start + ch*chunk; b < min(start+(ch+1)*chunk, stop); b++ {
			pb := s.Preps[b]
			kb := len(pb.Comps)
			col := s.Offset[b] - base
			for f, a := range batch {
				if a == b {
					continue
				}
				pa := s.Preps[a]
				ka := len(pa.Comps)
				cost := tr.cost(ka, kb)
				for k := 0; k < ka; k++ {
					for l := 0; l < kb; l++ {
						at := (first[f]+k)*block.Nc + col + l
						c := block.fwd[at]
						if kind.jeffreys {
							c += block.Bwd[at]
						}
						cost[k*kb+l] = math.Min(c, gauss.MaxDistance)
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
						cost[l*ka+k] = math.Min(block.Bwd[(first[f]+k)*block.Nc+col+l], gauss.MaxDistance)
					}
				}
				ba, err := tr.solve(pb.weights, pa.weights)
				if err != nil {
					return fmt.Errorf("D(%d, %d): %w", b, a, err)
				}
				if kind.sumTranspose {
					outs[f][b] = math.Min(ab+ba, gauss.MaxDistance)
					ins[f][b] = outs[f][b]
				} else {
					ins[f][b] = ba
				}
			}
		}
		return nil
	})
}

// logRows computes the rows of batch for a distance from inner products
// (symmetric), pair by pair.
func (s *RowSource) logRows(ctx context.Context, batch []int) error {
	m := len(s.Preps)
	kind := s.Dist.kind()
	dim := len(s.Preps[0].Comps[0].Mean)
	outs := make([][]float64, len(batch))
	for f := range batch {
		outs[f] = make([]float64, m)
	}
	const chunk = 16
	err := parallel.For(ctx, (m+chunk-1)/chunk, s.workers, func(ch int) error {
		sc := NewOverlapScratch(dim)
		var terms []float64
		for b := ch * chunk; b < min((ch+1)*chunk, m); b++ {
			for f, a := range batch {
				if a == b {
					continue
				}
				lc, err := LogInner(s.Preps[a], s.Preps[b], sc, terms)
				if err != nil {
					return fmt.Errorf("D(%d, %d): %w", a, b, err)
				}
				outs[f][b] = kind.fromLogs(s.Preps[a].logSelf, s.Preps[b].logSelf, lc)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for f, a := range batch {
		s.Out[a], s.In[a] = outs[f], outs[f]
	}
	return nil
}

// pair returns D(G_a, G_b) and D(G_b, G_a), computed on their own.
func (s *RowSource) Pair(a, b int) (float64, float64, error) {
	if s.has(a) {
		return s.Out[a][b], s.In[a][b], nil
	}
	if s.has(b) {
		return s.In[b][a], s.Out[b][a], nil
	}
	s.Pairs++
	kind := s.Dist.kind()
	dim := len(s.Preps[a].Comps[0].Mean)
	if !kind.transported {
		lc, err := LogInner(s.Preps[a], s.Preps[b], NewOverlapScratch(dim), nil)
		if err != nil {
			return 0, 0, err
		}
		v := kind.fromLogs(s.Preps[a].logSelf, s.Preps[b].logSelf, lc)
		return v, v, nil
	}
	// The per-pair divergences read every component's inverse, which a
	// round at scale does not keep: the pack's precisions give them.
	pair, release, err := s.withInverses(a, b)
	if err != nil {
		return 0, 0, err
	}
	defer release()
	tr := newTransport()
	diff := make([]float64, dim)
	ab, err := ctd(pair[0], pair[1], kind.jeffreys, tr, diff)
	if err != nil {
		return 0, 0, err
	}
	if kind.symmetric && !kind.sumTranspose {
		return ab, ab, nil
	}
	ba, err := ctd(pair[1], pair[0], kind.jeffreys, tr, diff)
	if err != nil {
		return 0, 0, err
	}
	if kind.sumTranspose {
		v := math.Min(ab+ba, gauss.MaxDistance)
		return v, v, nil
	}
	return ab, ba, nil
}

// withInverses returns positions a and b with every component's inverse:
// unpacked from the pack's precisions (the same bits as NewGaussian's) into
// a buffer the caller gives back with release, or computed when there is no
// pack.
func (s *RowSource) withInverses(a, b int) (pair []*DistanceInput, release func(), err error) {
	if s.all == nil {
		pair, err = refactorInputs(context.Background(), []*DistanceInput{s.Preps[a], s.Preps[b]}, 1)
		return pair, func() {}, err
	}
	d := s.all.d
	pp := d * (d + 1) / 2
	need := (len(s.Preps[a].Comps) + len(s.Preps[b].Comps)) * d * d
	buf, _ := s.inverses.Get().(*[]float64)
	if buf == nil || cap(*buf) < need {
		b := make([]float64, need)
		buf = &b
	}
	inv := (*buf)[:need]
	pair = make([]*DistanceInput, 2)
	for x, pos := range []int{a, b} {
		p := *s.Preps[pos]
		p.Comps = make([]*gauss.Gaussian, len(s.Preps[pos].Comps))
		for k, g := range s.Preps[pos].Comps {
			u := s.Offset[pos] + k
			p.Comps[k] = withInverse(g, s.all.precs[u*pp:(u+1)*pp], inv[:d*d])
			inv = inv[d*d:]
		}
		pair[x] = &p
	}
	return pair, func() { s.inverses.Put(buf) }, nil
}

func (s *RowSource) RowOut(a int) []float64 { return s.Out[a] }
func (s *RowSource) RowIn(a int) []float64  { return s.In[a] }

// pack returns every valid estimate's components packed (built on first
// use for distances that do not need it) and each position's first
// component in it.
func (s *RowSource) Pack(ctx context.Context) (*GaussianPack, []int, error) {
	if s.all == nil {
		var comps []*gauss.Gaussian
		for _, p := range s.Preps {
			comps = append(comps, p.Comps...)
		}
		var err error
		if s.all, err = newGaussianPack(ctx, comps, s.workers); err != nil {
			return nil, nil, err
		}
	}
	return s.all, s.Offset, nil
}
