package main

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/nistgmm/nistgmm/dataset"
	"github.com/nistgmm/nistgmm/features"
	"github.com/nistgmm/nistgmm/internal/atomicfile"
	"github.com/nistgmm/nistgmm/internal/tsne"
)

// cmdExplore draws the paper's Figure 6: random digit and letter images
// (examples.png) and a 2-D t-SNE embedding of a random sample of their
// features (embedding.png).
func cmdExplore(ctx context.Context, args []string) error {
	fs := newFlagSet("explore", "--features DIR --out DIR [--n 1500] [--seed 1]")
	dir := fs.String("features", "", "features folder made by 'nistgmm extract' (the images are read from the sources its manifest names)")
	out := fs.String("out", "", "folder for examples.png and embedding.png")
	n := fs.Int("n", 1500, "points in the embedding: half digits, half letters (all digits without letters)")
	seed := fs.Uint64("seed", 1, "random seed of the samples and the embedding")
	perplexity := fs.Float64("perplexity", 30, "t-SNE perplexity")
	iterations := fs.Int("iterations", 1000, "t-SNE iterations")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := required(fs, "features", "out"); err != nil {
		return err
	}
	switch {
	case *n < 10 || *n > 20000:
		return fmt.Errorf("--n %d: want 10 to 20,000 points (t-SNE here is exact, quadratic in n)", *n)
	case !(*perplexity > 0) || *perplexity >= float64(*n)/3:
		return fmt.Errorf("--perplexity %v: want a number > 0 and below n/3 = %d", *perplexity, *n/3)
	case *iterations < 1:
		return fmt.Errorf("--iterations %d: want at least 1", *iterations)
	}
	// The embedding takes tens of seconds: a folder it cannot be written
	// to is refused before, not after.
	if err := checkWritableDir(*out); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	man, err := features.ReadManifest(*dir)
	if err != nil {
		return fmt.Errorf("--features %s is not a features folder (%w)", *dir, err)
	}
	digits, _, err := features.ReadSet(*dir, features.DigitsTrain)
	if err != nil {
		return err
	}
	var letters *mat.Dense
	if _, err := os.Stat(filepath.Join(*dir, features.Letters+".npy")); err == nil {
		if letters, _, err = features.ReadSet(*dir, features.Letters); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(os.Stderr, "note: these features have no letters; the pictures show digits only")
	}
	rng := rand.New(rand.NewPCG(*seed, 0x6578706c))
	if err := writeExamples(filepath.Join(*out, "examples.png"), man, rng); err != nil {
		// The pictures of images need the original sources; the embedding
		// does not: say why and go on.
		fmt.Fprintf(os.Stderr, "warning: no examples.png: %v\n", err)
	}
	X, isLetter := sampleFeatures(digits, letters, *n, rng)
	rows, d := X.Dims()
	bar, add := newBar(*iterations, "t-SNE embedding")
	Y, err := tsne.Embed(ctx, X.RawMatrix().Data, rows, d, tsne.Settings{Perplexity: *perplexity, Iterations: *iterations}, rng, func() { add(1) })
	bar.Finish()
	if err != nil {
		return err
	}
	if err := plotEmbedding(filepath.Join(*out, "embedding.png"), Y, isLetter); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "wrote examples.png and embedding.png (%d points) in %s\n", rows, *out)
	return nil
}

// checkWritableDir creates dir if needed and checks that a file can be
// created in it.
func checkWritableDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".write-check-*")
	if err != nil {
		return fmt.Errorf("cannot write in %s: %w", dir, err)
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

// sampleFeatures draws n rows: half from digits and half from letters
// (all from digits without letters), without replacement.
func sampleFeatures(digits, letters *mat.Dense, n int, rng *rand.Rand) (*mat.Dense, []bool) {
	nd, d := digits.Dims()
	takeD, takeL := n, 0
	nl := 0
	if letters != nil {
		nl, _ = letters.Dims()
		takeD, takeL = n/2, n-n/2
	}
	takeD, takeL = min(takeD, nd), min(takeL, nl)
	X := mat.NewDense(takeD+takeL, d, nil)
	isLetter := make([]bool, takeD+takeL)
	for r, i := range rng.Perm(nd)[:takeD] {
		X.SetRow(r, digits.RawRowView(i))
	}
	if takeL > 0 {
		for r, i := range rng.Perm(nl)[:takeL] {
			X.SetRow(takeD+r, letters.RawRowView(i))
			isLetter[takeD+r] = true
		}
	}
	return X, isLetter
}

// plotEmbedding draws the embedding, digits and letters in two colours.
func plotEmbedding(path string, Y []float64, isLetter []bool) error {
	p := plot.New()
	p.Title.Text = "t-SNE of the CNN features (Figure 6b)"
	p.X.Label.Text, p.Y.Label.Text = "t-SNE 1", "t-SNE 2"
	var dig, let plotter.XYs
	for i, l := range isLetter {
		pt := plotter.XY{X: Y[2*i], Y: Y[2*i+1]}
		if l {
			let = append(let, pt)
		} else {
			dig = append(dig, pt)
		}
	}
	for _, s := range []struct {
		pts   plotter.XYs
		name  string
		color color.Color
		shape draw.GlyphDrawer
	}{{dig, "digits", color.RGBA{0x1f, 0x77, 0xb4, 0xff}, draw.CircleGlyph{}}, {let, "letters", color.RGBA{0xd6, 0x27, 0x28, 0xff}, draw.CrossGlyph{}}} {
		if len(s.pts) == 0 {
			continue
		}
		sc, err := plotter.NewScatter(s.pts)
		if err != nil {
			return err
		}
		sc.GlyphStyle = draw.GlyphStyle{Color: s.color, Radius: vg.Points(1.6), Shape: s.shape}
		p.Add(sc)
		p.Legend.Add(fmt.Sprintf("%s (%d)", s.name, len(s.pts)), sc)
	}
	p.Legend.Top = true
	return p.Save(6*vg.Inch, 6*vg.Inch, path)
}

// writeExamples draws two rows of ten random digits and two of ten random
// letters, read from the sources the manifest names.
func writeExamples(path string, man *features.Manifest, rng *rand.Rand) error {
	var rows [][][]uint8
	for _, set := range man.Sets {
		if set.Name != features.DigitsTrain && set.Name != features.Letters {
			continue
		}
		mode, err := dataset.ParseMode(man.Preprocess)
		if err != nil {
			mode = dataset.ModeMNIST
		}
		imgs, err := sampleImages(set, mode, 20, rng)
		if err != nil {
			return fmt.Errorf("%s from %s: %w", set.Name, set.Source, err)
		}
		rows = append(rows, imgs[:len(imgs)/2], imgs[len(imgs)/2:])
	}
	if len(rows) == 0 {
		return errors.New("the manifest names no image source")
	}
	const scale, gap = 3, 4
	cell := dataset.Side*scale + gap
	img := image.NewGray(image.Rect(0, 0, 10*cell+gap, len(rows)*cell+gap))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	for r, row := range rows {
		for c, px := range row {
			for y := 0; y < dataset.Side*scale; y++ {
				for x := 0; x < dataset.Side*scale; x++ {
					v := px[(y/scale)*dataset.Side+x/scale]
					img.SetGray(gap+c*cell+x, gap+r*cell+y, color.Gray{Y: 0xff - v}) // ink dark on white
				}
			}
		}
	}
	return atomicfile.WriteFile(path, func(w io.Writer) error { return png.Encode(w, img) })
}

// sampleImages returns k random images of a set as 28x28 ink intensities:
// from an IDX file as they are, from SD19 preprocessed as the features were.
func sampleImages(set features.SetInfo, mode dataset.Mode, k int, rng *rand.Rand) ([][]uint8, error) {
	var out [][]uint8
	path, err := dataset.ResolveSource(set.Source)
	if err != nil {
		return nil, err
	}
	if strings.Contains(path, "idx") {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		im, err := dataset.ReadIDXImages(f)
		if err != nil {
			return nil, err
		}
		for _, i := range rng.Perm(im.N)[:min(k, im.N)] {
			out = append(out, im.Image(i))
		}
		return out, nil
	}
	s, err := dataset.OpenSD19(path)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	var classes []byte
	for _, c := range set.Classes {
		if len(c.Class) == 1 {
			classes = append(classes, c.Class[0])
		}
	}
	entries, _ := s.Select(classes, dataset.Partition(set.Partition))
	if len(entries) == 0 {
		return nil, errors.New("no images of its classes")
	}
	for _, i := range rng.Perm(len(entries)) {
		if len(out) == k {
			break
		}
		img, err := s.Decode(entries[i])
		if err != nil {
			continue
		}
		px, err := dataset.Preprocess(img, mode)
		if err != nil {
			continue
		}
		b := make([]uint8, len(px))
		for j, v := range px {
			if mode == dataset.ModePaper { // luminance: ink is dark
				v = 1 - v
			}
			b[j] = uint8(255*v + 0.5)
		}
		out = append(out, b)
	}
	return out, nil
}
