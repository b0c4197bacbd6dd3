package plots

import (
	"image/color"
	"os"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// palette holds the methods' colours, in the order of server.Methods()
// (Oracle, ARED, CRED, TRIM, COAT, GMR): Okabe and Ito's colours, which
// stay apart under every common colour-vision deficiency, chosen so that
// the pairs drawn side by side differ in lightness as well as hue, and
// without their yellow, which vanishes on white.
var palette = []color.Color{
	color.RGBA{0x00, 0x00, 0x00, 0xff}, // Oracle: black, the benchmark
	color.RGBA{0xd5, 0x5e, 0x00, 0xff}, // ARED: vermillion
	color.RGBA{0x00, 0x72, 0xb2, 0xff}, // CRED: blue
	color.RGBA{0xcc, 0x79, 0xa7, 0xff}, // TRIM: reddish purple
	color.RGBA{0xe6, 0x9f, 0x00, 0xff}, // COAT: orange
	color.RGBA{0x00, 0x9e, 0x73, 0xff}, // GMR: bluish green
}

// glyphs holds the methods' markers, in palette's order, so that a method
// is told by its shape where colours are not told apart (in print, too).
var glyphs = []draw.GlyphDrawer{
	draw.CircleGlyph{}, draw.BoxGlyph{}, draw.PyramidGlyph{}, diamondGlyph{}, strokeGlyph{diagonal: true}, strokeGlyph{},
}

// strokeGlyph is a cross (diagonal) or a plus drawn with strokes thick
// enough to show its colour, which draw's hairline ones do not.
type strokeGlyph struct{ diagonal bool }

func (g strokeGlyph) DrawGlyph(c *draw.Canvas, sty draw.GlyphStyle, pt vg.Point) {
	c.SetLineStyle(draw.LineStyle{Color: sty.Color, Width: sty.Radius / 2.2})
	r := sty.Radius * 1.1
	a, b := vg.Point{X: r}, vg.Point{Y: r}
	if g.diagonal {
		r *= 0.8
		a, b = vg.Point{X: r, Y: r}, vg.Point{X: r, Y: -r}
	}
	for _, d := range []vg.Point{a, b} {
		var p vg.Path
		p.Move(pt.Sub(d))
		p.Line(pt.Add(d))
		c.Stroke(p)
	}
}

// diamondGlyph is a filled square standing on a corner.
type diamondGlyph struct{}

func (diamondGlyph) DrawGlyph(c *draw.Canvas, sty draw.GlyphStyle, pt vg.Point) {
	c.SetColor(sty.Color)
	r := sty.Radius * 1.25
	var p vg.Path
	p.Move(vg.Point{X: pt.X, Y: pt.Y + r})
	p.Line(vg.Point{X: pt.X + r, Y: pt.Y})
	p.Line(vg.Point{X: pt.X, Y: pt.Y - r})
	p.Line(vg.Point{X: pt.X - r, Y: pt.Y})
	p.Close()
	c.Fill(p)
}

// methodGlyph is method number mi's marker at radius r.
func methodGlyph(mi int, r vg.Length) draw.GlyphStyle {
	return draw.GlyphStyle{Color: palette[mi%len(palette)], Radius: r, Shape: glyphs[mi%len(glyphs)]}
}

// fewestForBox is the fewest values drawn as a box: with fewer, a box
// collapses into a dash, and each value is drawn as a marker instead.
const fewestForBox = 5

// methodBox draws method number mi's values (in server.Methods()) at x in
// that method's colour: a box plot with the method's marker at the median,
// or with fewer than fewestForBox values each value as the method's marker.
func methodBox(width vg.Length, x float64, mi int, v plotter.Values) ([]plot.Plotter, error) {
	if len(v) < fewestForBox {
		pts := make(plotter.XYs, len(v))
		for i, y := range v {
			pts[i] = plotter.XY{X: x, Y: y}
		}
		sc, err := plotter.NewScatter(pts)
		if err != nil {
			return nil, err
		}
		sc.GlyphStyle = methodGlyph(mi, vg.Points(3.5))
		return []plot.Plotter{sc}, nil
	}
	box, err := plotter.NewBoxPlot(width, x, v)
	if err != nil {
		return nil, err
	}
	box.FillColor = palette[mi%len(palette)]
	box.MedianStyle.Width = vg.Points(1.5)
	box.GlyphStyle = methodGlyph(mi, vg.Points(1.5))
	median, err := plotter.NewScatter(plotter.XYs{{X: x, Y: box.Median}})
	if err != nil {
		return nil, err
	}
	median.GlyphStyle = draw.GlyphStyle{Color: color.White, Radius: vg.Points(2.2), Shape: glyphs[mi%len(glyphs)]}
	return []plot.Plotter{box, median}, nil
}

// saveCanvas writes img as a PNG file, through a temporary file renamed
// into place.
func saveCanvas(path string, img *vgimg.Canvas) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
