package dataset

import (
	"context"
	"math"

	"github.com/nistgmm/nistgmm/internal/parallel"
)

// Rejected is an entry that could not be preprocessed.
type Rejected struct {
	Path string
	Err  error
}

// PrepareImages decodes and preprocesses entries in parallel into a stack
// of 8-bit 28x28 images (the form `nistgmm prepare` writes as IDX for the
// training script). Corrupt or blank scans are skipped and returned in
// Rejected; kept lists the indices of the entries that made it, in order.
func (s *SD19) PrepareImages(ctx context.Context, entries []Entry, mode Mode, workers int, progress func(int)) (*Images, []int, []Rejected, error) {
	px := make([][]uint8, len(entries))
	errs := make([]error, len(entries))
	// Each image's failure is recorded, not returned: a corrupt scan is
	// skipped, only cancellation stops the work.
	parallel.For(ctx, len(entries), workers, func(i int) error {
		img, err := s.Decode(entries[i])
		var v []float32
		if err == nil {
			v, err = Preprocess(img, mode)
		}
		if err != nil {
			errs[i] = err
		} else {
			b := make([]uint8, len(v))
			for j, x := range v {
				b[j] = uint8(math.Round(float64(x) * 255))
			}
			px[i] = b
		}
		if progress != nil {
			progress(1)
		}
		return nil
	})
	if err := ctx.Err(); err != nil {
		return nil, nil, nil, err
	}
	out := &Images{Rows: Side, Cols: Side}
	var kept []int
	var rejected []Rejected
	for i := range entries {
		if errs[i] != nil {
			rejected = append(rejected, Rejected{Path: entries[i].Path, Err: errs[i]})
			continue
		}
		out.Pixels = append(out.Pixels, px[i]...)
		out.N++
		kept = append(kept, i)
	}
	return out, kept, rejected, nil
}
