// Package explore draws the pictures of the paper's Figure 6: random
// digit and letter images read from the sources a features folder's
// manifest names (WriteExamples), a sample of the features (SampleFeatures)
// and their 2-D embedding (PlotEmbedding). It computes no embedding itself
// (package tsne does) and runs no experiment.
package explore

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math/rand/v2"
	"os"
	"strings"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/nistgmm/nistgmm/dataset"
	"github.com/nistgmm/nistgmm/features"
	"github.com/nistgmm/nistgmm/internal/atomicfile"
)

// SampleFeatures draws n rows: half from digits and half from letters
// (all from digits without letters), without replacement.
func SampleFeatures(digits, letters *mat.Dense, n int, rng *rand.Rand) (*mat.Dense, []bool) {
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

// PlotEmbedding draws the embedding, digits and letters in two colours.
func PlotEmbedding(path string, Y []float64, isLetter []bool) error {
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

// WriteExamples draws two rows of ten random digits and two of ten random
// letters, read from the sources the manifest names.
func WriteExamples(path string, man *features.Manifest, rng *rand.Rand) error {
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
