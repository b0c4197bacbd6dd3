package dataset

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"

	"github.com/disintegration/imaging"
)

// Mode names a preprocessing of scanned characters into 28x28 images.
type Mode string

const (
	// ModeMNIST is how MNIST and EMNIST were made from NIST scans.
	ModeMNIST Mode = "mnist"
	// ModePaper is the transform of the paper's authors.
	ModePaper Mode = "paper"
)

// Side is the width and height of a preprocessed image.
const Side = 28

// ParseMode accepts "mnist" or "paper".
func ParseMode(s string) (Mode, error) {
	switch m := Mode(s); m {
	case ModeMNIST, ModePaper:
		return m, nil
	}
	return "", fmt.Errorf("unknown preprocessing mode %q: want mnist or paper", s)
}

// inkThreshold ignores faint scanner noise when finding the ink's bounding
// box (ink values are 0-255).
const inkThreshold = 32

// ErrNoInk reports a blank scan.
var ErrNoInk = errors.New("no ink found")

// Preprocess turns a scan (black ink on white, as SD19 ships) into a 28x28
// image, row-major, values in [0, 1]: ink intensity for ModeMNIST, luminance
// for ModePaper. The network's normalisation is applied later.
func Preprocess(img image.Image, mode Mode) ([]float32, error) {
	gray := imaging.Grayscale(img)
	switch mode {
	case ModePaper:
		out := imaging.Resize(imaging.CropCenter(gray, 64, 64), Side, Side, imaging.Linear)
		return channel(out), nil
	case ModeMNIST:
		ink := imaging.Invert(gray)
		box, ok := inkBox(ink)
		if !ok {
			return nil, ErrNoInk
		}
		glyph := imaging.Crop(ink, box)
		w, h := box.Dx(), box.Dy()
		scale := 20 / float64(max(w, h))
		nw, nh := max(1, int(math.Round(float64(w)*scale))), max(1, int(math.Round(float64(h)*scale)))
		glyph = imaging.Resize(glyph, nw, nh, imaging.Lanczos)
		cx, cy := centreOfMass(glyph)
		canvas := imaging.New(Side, Side, color.NRGBA{A: 255})
		at := image.Pt(int(math.Round(float64(Side)/2-cx)), int(math.Round(float64(Side)/2-cy)))
		return channel(imaging.Paste(canvas, glyph, at)), nil
	}
	return nil, fmt.Errorf("unknown preprocessing mode %q", mode)
}

// FromPixels wraps a row-major 8-bit grayscale image already in final form
// (IDX files are already in ModeMNIST form).
func FromPixels(p []uint8) []float32 {
	out := make([]float32, len(p))
	for i, v := range p {
		out[i] = float32(v) / 255
	}
	return out
}

// channel returns the red channel (equal to the others in a gray image)
// scaled to [0, 1].
func channel(img *image.NRGBA) []float32 {
	b := img.Bounds()
	out := make([]float32, 0, b.Dx()*b.Dy())
	for y := 0; y < b.Dy(); y++ {
		row := img.Pix[y*img.Stride:]
		for x := 0; x < b.Dx(); x++ {
			out = append(out, float32(row[4*x])/255)
		}
	}
	return out
}

func inkBox(ink *image.NRGBA) (image.Rectangle, bool) {
	b := ink.Bounds()
	minX, minY, maxX, maxY := b.Dx(), b.Dy(), -1, -1
	for y := 0; y < b.Dy(); y++ {
		row := ink.Pix[y*ink.Stride:]
		for x := 0; x < b.Dx(); x++ {
			if row[4*x] >= inkThreshold {
				minX, maxX = min(minX, x), max(maxX, x)
				minY, maxY = min(minY, y), max(maxY, y)
			}
		}
	}
	if maxX < 0 {
		return image.Rectangle{}, false
	}
	return image.Rect(minX, minY, maxX+1, maxY+1), true
}

// centreOfMass returns the ink-weighted centre, in pixel coordinates where
// pixel (x, y) covers [x, x+1) x [y, y+1).
func centreOfMass(img *image.NRGBA) (float64, float64) {
	b := img.Bounds()
	var sx, sy, s float64
	for y := 0; y < b.Dy(); y++ {
		row := img.Pix[y*img.Stride:]
		for x := 0; x < b.Dx(); x++ {
			v := float64(row[4*x])
			sx += v * (float64(x) + 0.5)
			sy += v * (float64(y) + 0.5)
			s += v
		}
	}
	if s == 0 {
		return float64(b.Dx()) / 2, float64(b.Dy()) / 2
	}
	return sx / s, sy / s
}
