package features

import (
	"context"
	"errors"
	"fmt"
	"image"
	"runtime"
	"sync"
	"time"

	"github.com/nistgmm/nistgmm/dataset"
)

// Decoded is one source image: a scan to preprocess, or pixels that are
// already in the network's 28x28 form (IDX files).
type Decoded struct {
	Image  image.Image
	Pixels []float32 // 28*28 values in [0, 1], or nil
}

// Source is a list of images to extract.
type Source interface {
	Len() int
	Decode(i int) (Decoded, error) // safe for concurrent use
}

// SD19Source reads selected SD19 entries.
type SD19Source struct {
	SD19    *dataset.SD19
	Entries []dataset.Entry
}

func (s SD19Source) Len() int { return len(s.Entries) }

func (s SD19Source) Decode(i int) (Decoded, error) {
	img, err := s.SD19.Decode(s.Entries[i])
	return Decoded{Image: img}, err
}

// IDXSource reads images of an IDX file, which are already in mnist form.
type IDXSource struct{ Images *dataset.Images }

func (s IDXSource) Len() int { return s.Images.N }

func (s IDXSource) Decode(i int) (Decoded, error) {
	if s.Images.Rows != dataset.Side || s.Images.Cols != dataset.Side {
		return Decoded{}, fmt.Errorf("IDX image is %dx%d, want %dx%d", s.Images.Rows, s.Images.Cols, dataset.Side, dataset.Side)
	}
	return Decoded{Pixels: dataset.FromPixels(s.Images.Image(i))}, nil
}

// Failure is an image that could not be used.
type Failure struct {
	Index int
	Err   error
}

// Timing adds up the time spent in each stage over all workers.
type Timing struct {
	Decode, Preprocess, CNN time.Duration
	Wall                    time.Duration
}

// Result is the outcome of an extraction.
type Result struct {
	Features []float32 // len(Kept) x Dim, row-major
	Logits   []float32 // len(Kept) x Classes
	Kept     []int     // source indices, ascending
	Failed   []Failure // corrupt or blank images, skipped
	Timing   Timing
}

// Options tunes an extraction. The zero value uses GOMAXPROCS workers and
// batches of 256.
type Options struct {
	Workers  int
	Batch    int
	Progress func(done int) // called with the number of images finished
}

// Extract decodes, preprocesses (in the model's mode) and runs every image
// of src. Images that fail are skipped and listed in Failed; only a failure
// of the network itself stops the extraction. The output order follows the
// source whatever the number of workers.
func (m *Model) Extract(ctx context.Context, src Source, opt Options) (*Result, error) {
	workers, batch := opt.Workers, opt.Batch
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if batch <= 0 {
		batch = 256
	}
	n := src.Len()
	nb := (n + batch - 1) / batch
	type out struct {
		feats, logits []float32
		kept          []int
		failed        []Failure
		t             Timing
		err           error
	}
	outs := make([]out, nb)
	jobs := make(chan int)
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range jobs {
				o := &outs[b]
				if ctx.Err() != nil {
					o.err = ctx.Err()
					continue
				}
				lo, hi := b*batch, min(n, (b+1)*batch)
				x := make([]float32, 0, (hi-lo)*dataset.Side*dataset.Side)
				for i := lo; i < hi; i++ {
					t0 := time.Now()
					d, err := src.Decode(i)
					t1 := time.Now()
					o.t.Decode += t1.Sub(t0)
					px := d.Pixels
					if err == nil && px == nil {
						px, err = dataset.Preprocess(d.Image, m.Mode)
					} else if err == nil && m.Mode != dataset.ModeMNIST {
						err = fmt.Errorf("image is already in mnist form, the model wants %s preprocessing", m.Mode)
					}
					o.t.Preprocess += time.Since(t1)
					if err != nil {
						o.failed = append(o.failed, Failure{Index: i, Err: err})
						continue
					}
					m.Normalize(px)
					x = append(x, px...)
					o.kept = append(o.kept, i)
				}
				if len(o.kept) > 0 {
					t0 := time.Now()
					o.feats, o.logits, o.err = m.Infer(x, len(o.kept))
					o.t.CNN += time.Since(t0)
				}
				if opt.Progress != nil {
					opt.Progress(hi - lo)
				}
			}
		}()
	}
	for b := 0; b < nb; b++ {
		jobs <- b
	}
	close(jobs)
	wg.Wait()
	res := &Result{}
	var errs []error
	for _, o := range outs {
		if o.err != nil {
			errs = append(errs, o.err)
			continue
		}
		res.Features = append(res.Features, o.feats...)
		res.Logits = append(res.Logits, o.logits...)
		res.Kept = append(res.Kept, o.kept...)
		res.Failed = append(res.Failed, o.failed...)
		res.Timing.Decode += o.t.Decode
		res.Timing.Preprocess += o.t.Preprocess
		res.Timing.CNN += o.t.CNN
	}
	res.Timing.Wall = time.Since(start)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return res, nil
}

// Accuracy is the share of kept images whose largest logit is their label;
// labels are indexed by source index.
func (r *Result) Accuracy(labels []int) float64 {
	if len(r.Kept) == 0 {
		return 0
	}
	correct := 0
	for j, i := range r.Kept {
		row := r.Logits[j*Classes : (j+1)*Classes]
		best := 0
		for c := range row {
			if row[c] > row[best] {
				best = c
			}
		}
		if best == labels[i] {
			correct++
		}
	}
	return float64(correct) / float64(len(r.Kept))
}
