package experiments

import (
	"errors"
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/nistgmm/nistgmm/federated/server"
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

// legendKey is a method's legend entry: its marker in its colour.
type legendKey struct{ mi int }

func (k legendKey) Thumbnail(c *draw.Canvas) {
	mid := vg.Point{X: (c.Min.X + c.Max.X) / 2, Y: (c.Min.Y + c.Max.Y) / 2}
	sty := methodGlyph(k.mi, vg.Points(4.5))
	c.DrawGlyph(sty, mid)
}

// fewRepsNote is the caption of a plot that draws some values as markers
// because there are too few for a box, or "" when every box is drawn.
func fewRepsNote(values map[float64]map[server.Method]plotter.Values) string {
	fewest := math.MaxInt
	for _, byMethod := range values {
		for _, v := range byMethod {
			fewest = min(fewest, len(v))
		}
	}
	if fewest >= fewestForBox || fewest == math.MaxInt {
		return ""
	}
	return fmt.Sprintf("Only %d repetitions: each is drawn as a marker (a box plot needs at least %d). The paper's Table "+
		"2 has 300.", fewest, fewestForBox)
}

// PlotTable2 draws the repetitions' ARI in two panels and saves them as PNG: on
// top, one box per method
// and alpha over the whole range, where methods that differ by 0.5 are
// told apart; below, a zoom on the methods near the top (median and
// interquartile range of each, every method named on the axis), where
// methods that differ by 0.001 are. The legend stands right of the panels;
// a caption says when there are too few repetitions for boxes.
func PlotTable2(path string, reps []Table2Rep, title string) error {
	if len(reps) == 0 {
		return errors.New("no repetitions to plot")
	}
	full, zoom, note, err := table2Panels(reps, title)
	if err != nil {
		return err
	}
	alphas := len(reps[0].Alphas)
	legendWidth := table2LegendWidth
	w := vg.Length(alphas)*vg.Inch*1.8 + 1.2*vg.Inch + legendWidth
	h := 8 * vg.Inch
	noteHeight := vg.Length(0)
	if note != "" {
		noteHeight = 0.35 * vg.Inch
	}
	img := vgimg.New(w, h+noteHeight)
	dc := draw.New(img)
	plotW := w - legendWidth
	split := noteHeight + h*0.45
	top := draw.Canvas{Canvas: dc.Canvas, Rectangle: vg.Rectangle{Min: vg.Point{X: 0, Y: split}, Max: vg.Point{X: plotW, Y: h + noteHeight}}}
	bottom := draw.Canvas{Canvas: dc.Canvas, Rectangle: vg.Rectangle{Min: vg.Point{X: 0, Y: noteHeight}, Max: vg.Point{X: plotW, Y: split}}}
	full.Draw(top)
	zoom.Draw(bottom)
	// The legend stands right of the panels, outside the data, level with
	// the top panel's plotting area.
	legend := plot.NewLegend()
	legend.Top, legend.Left = true, true
	legend.ThumbnailWidth = vg.Points(14)
	legend.Padding = vg.Points(4)
	for mi, m := range server.Methods() {
		legend.Add(displayName(m), legendKey{mi})
	}
	pad := vg.Points(8)
	legend.Draw(draw.Canvas{Canvas: dc.Canvas, Rectangle: vg.Rectangle{
		Min: vg.Point{X: plotW + pad, Y: split},
		Max: vg.Point{X: w - pad, Y: h + noteHeight - 0.45*vg.Inch}}})
	if note != "" {
		sty := full.Title.TextStyle
		sty.Font.Size = vg.Points(11)
		sty.XAlign, sty.YAlign = draw.XLeft, draw.YCenter
		dc.FillText(sty, vg.Point{X: 0.15 * vg.Inch, Y: noteHeight / 2}, note)
	}
	return saveCanvas(path, img)
}

// table2LegendWidth is the column right of table2.png's panels that holds
// the legend, outside the data.
const table2LegendWidth = 1.1 * vg.Inch

// table2Panels builds table2.png's two panels and its caption ("" when
// every value set is drawn as a box).
func table2Panels(reps []Table2Rep, title string) (full, zoom *plot.Plot, note string, err error) {
	var alphas []float64
	values := map[float64]map[server.Method]plotter.Values{}
	for _, r := range reps {
		for _, a := range r.Alphas {
			if values[a.Alpha] == nil {
				values[a.Alpha] = map[server.Method]plotter.Values{}
				alphas = append(alphas, a.Alpha)
			}
			for _, m := range a.Methods {
				values[a.Alpha][m.Method] = append(values[a.Alpha][m.Method], m.ARI)
			}
		}
	}
	nm := float64(len(server.Methods()))
	pos := func(ai, mi int) float64 { return float64(ai)*(nm+1) + float64(mi) }
	if full, err = fullPanel(title, alphas, values, pos); err != nil {
		return nil, nil, "", err
	}
	if zoom, err = zoomPanel(alphas, values, pos); err != nil {
		return nil, nil, "", err
	}
	// Both panels span every method's position with half a slot to spare,
	// so that the last marker and its label are not cut at the edge.
	for _, p := range []*plot.Plot{full, zoom} {
		p.X.Min, p.X.Max = pos(0, 0)-1, pos(len(alphas)-1, len(server.Methods())-1)+1
	}
	return full, zoom, fewRepsNote(values), nil
}

// fullPanel is the box plot over the whole range.
func fullPanel(title string, alphas []float64, values map[float64]map[server.Method]plotter.Values, pos func(int, int) float64) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = title
	p.Y.Label.Text = "ARI on the digits test set"
	width := vg.Points(9)
	for ai, alpha := range alphas {
		for mi, m := range server.Methods() {
			v := values[alpha][m]
			if len(v) == 0 {
				continue
			}
			drawn, err := methodBox(width, pos(ai, mi), mi, v)
			if err != nil {
				return nil, err
			}
			p.Add(drawn...)
		}
	}
	nm := float64(len(server.Methods()))
	ticks := make([]plot.Tick, len(alphas))
	for i, a := range alphas {
		ticks[i] = plot.Tick{Value: pos(i, 0) + (nm-1)/2, Label: fmt.Sprintf("α = %.1f", a)}
	}
	p.X.Tick.Marker = plot.ConstantTicks(ticks)
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, byMethod := range values {
		for _, v := range byMethod {
			for _, x := range v {
				lo, hi = math.Min(lo, x), math.Max(hi, x)
			}
		}
	}
	if hi > lo {
		// Room above the highest value, so that its marker stays clear of
		// the title (the legend is outside the panel).
		p.Y.Min, p.Y.Max = lo-0.04*(hi-lo), hi+0.08*(hi-lo)
	}
	p.Title.Padding = vg.Points(6)
	p.Add(plotter.NewGrid())
	return p, nil
}

// zoomPanel shows, for every method whose median is near the best, its
// median and interquartile range on an axis spanning only those, with each
// method named under its point; the others are said to be below.
func zoomPanel(alphas []float64, values map[float64]map[server.Method]plotter.Values, pos func(int, int) float64) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = "zoom on the methods within 0.01 of the best median (marker: median, bar: interquartile range); the others' medians in their labels"
	p.Y.Label.Text = "ARI"
	p.X.Label.Text = "failure rate α"
	type stat struct{ q [3]float64 }
	stats := map[float64]map[server.Method]stat{}
	best := math.Inf(-1)
	for _, a := range alphas {
		stats[a] = map[server.Method]stat{}
		for m, v := range values[a] {
			q := quartiles(v)
			stats[a][m] = stat{q}
			best = math.Max(best, q[1])
		}
	}
	// The zoom spans the methods within 0.01 of the best median at their
	// alpha, with their interquartile ranges, and at least 0.004.
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, a := range alphas {
		top := math.Inf(-1)
		for _, s := range stats[a] {
			top = math.Max(top, s.q[1])
		}
		for _, s := range stats[a] {
			if s.q[1] >= top-0.01 {
				lo, hi = math.Min(lo, s.q[0]), math.Max(hi, s.q[2])
			}
		}
	}
	if math.IsInf(lo, 0) {
		return p, nil
	}
	if hi-lo < 0.004 {
		mid := (hi + lo) / 2
		lo, hi = mid-0.002, mid+0.002
	}
	pad := 0.08 * (hi - lo)
	p.Y.Min, p.Y.Max = lo-pad, hi+pad
	var ticks []plot.Tick
	for ai, a := range alphas {
		for mi, m := range server.Methods() {
			s, ok := stats[a][m]
			if !ok {
				continue
			}
			x := pos(ai, mi)
			label := shortName(m)
			if s.q[1] < p.Y.Min {
				label += fmt.Sprintf(" %.3f", s.q[1]) // below the zoom: its median in the label
			}
			ticks = append(ticks, plot.Tick{Value: x, Label: label})
			if s.q[1] < p.Y.Min || s.q[1] > p.Y.Max {
				continue
			}
			pts := plotter.XYs{{X: x, Y: s.q[1]}}
			sc, err := plotter.NewScatter(pts)
			if err != nil {
				return nil, err
			}
			sc.GlyphStyle = methodGlyph(mi, vg.Points(3.5))
			bar := plotter.XYs{{X: x, Y: math.Max(s.q[0], p.Y.Min)}, {X: x, Y: math.Min(s.q[2], p.Y.Max)}}
			line, err := plotter.NewLine(bar)
			if err != nil {
				return nil, err
			}
			line.LineStyle = draw.LineStyle{Color: palette[mi%len(palette)], Width: vg.Points(2)}
			p.Add(line, sc)
		}
		if ai > 0 {
			sep, _ := plotter.NewLine(plotter.XYs{{X: pos(ai, 0) - 1, Y: p.Y.Min}, {X: pos(ai, 0) - 1, Y: p.Y.Max}})
			sep.LineStyle = draw.LineStyle{Color: color.Gray{Y: 0xb0}, Width: vg.Points(0.5)}
			p.Add(sep)
		}
		if lab, err := plotter.NewLabels(plotter.XYLabels{XYs: plotter.XYs{{X: pos(ai, 0) - 0.6, Y: p.Y.Max}},
			Labels: []string{fmt.Sprintf("α = %.1f", a)}}); err == nil {
			lab.TextStyle[0].YAlign = draw.YTop
			p.Add(lab)
		}
	}
	p.X.Tick.Marker = plot.ConstantTicks(ticks)
	p.X.Tick.Label.Rotation = math.Pi / 2
	p.X.Tick.Label.XAlign = draw.XRight
	p.X.Tick.Label.YAlign = draw.YCenter
	p.Add(plotter.NewGrid())
	return p, nil
}

// shortName is a method's name on the zoomed axis.
func shortName(m server.Method) string { return displayName(m) }

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
