package experiments

import (
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

	"github.com/nistgmm/nistgmm/federated"
)

var palette = []color.Color{
	color.RGBA{0x1b, 0x9e, 0x77, 0xff}, color.RGBA{0xd9, 0x5f, 0x02, 0xff}, color.RGBA{0x75, 0x70, 0xb3, 0xff},
	color.RGBA{0xe7, 0x29, 0x8a, 0xff}, color.RGBA{0x66, 0xa6, 0x1e, 0xff}, color.RGBA{0xa6, 0x76, 0x1d, 0xff},
}

// methodBox draws method number mi's values (in federated.Methods()) at x in
// that method's colour: a box plot, or with fewer than five values, where a
// box would collapse into a dash, each value as a coloured dot.
func methodBox(width vg.Length, x float64, mi int, v plotter.Values) (plot.Plotter, error) {
	if len(v) < 5 {
		pts := make(plotter.XYs, len(v))
		for i, y := range v {
			pts[i] = plotter.XY{X: x, Y: y}
		}
		sc, err := plotter.NewScatter(pts)
		if err != nil {
			return nil, err
		}
		sc.GlyphStyle = draw.GlyphStyle{Color: palette[mi%len(palette)], Radius: vg.Points(3), Shape: draw.CircleGlyph{}}
		return sc, nil
	}
	box, err := plotter.NewBoxPlot(width, x, v)
	if err != nil {
		return nil, err
	}
	box.FillColor = palette[mi%len(palette)]
	box.MedianStyle.Width = vg.Points(1.5)
	box.GlyphStyle.Radius = vg.Points(1.3)
	return box, nil
}

// PlotTable2 draws the repetitions' ARI in two panels and saves them as PNG: on
// top, one box per method
// and alpha over the whole range, where methods that differ by 0.5 are
// told apart; below, a zoom on the methods near the top (median and
// interquartile range of each, every method named on the axis), where
// methods that differ by 0.001 are.
func PlotTable2(path string, reps []Table2Rep, title string) error {
	var alphas []float64
	values := map[float64]map[federated.Method]plotter.Values{}
	for _, r := range reps {
		for _, a := range r.Alphas {
			if values[a.Alpha] == nil {
				values[a.Alpha] = map[federated.Method]plotter.Values{}
				alphas = append(alphas, a.Alpha)
			}
			for _, m := range a.Methods {
				values[a.Alpha][m.Method] = append(values[a.Alpha][m.Method], m.ARI)
			}
		}
	}
	nm := float64(len(federated.Methods()))
	pos := func(ai, mi int) float64 { return float64(ai)*(nm+1) + float64(mi) }
	full, err := fullPanel(title, alphas, values, pos)
	if err != nil {
		return err
	}
	zoom, err := zoomPanel(alphas, values, pos)
	if err != nil {
		return err
	}
	w := vg.Length(len(alphas))*vg.Inch*1.8 + 1.2*vg.Inch
	h := 8 * vg.Inch
	img := vgimg.New(w, h)
	dc := draw.New(img)
	top := draw.Canvas{Canvas: dc.Canvas, Rectangle: vg.Rectangle{Min: vg.Point{X: 0, Y: h * 0.45}, Max: vg.Point{X: w, Y: h}}}
	bottom := draw.Canvas{Canvas: dc.Canvas, Rectangle: vg.Rectangle{Min: vg.Point{X: 0, Y: 0}, Max: vg.Point{X: w, Y: h * 0.45}}}
	full.Draw(top)
	zoom.Draw(bottom)
	return saveCanvas(path, img)
}

// fullPanel is the box plot over the whole range, with the legend above
// the boxes.
func fullPanel(title string, alphas []float64, values map[float64]map[federated.Method]plotter.Values, pos func(int, int) float64) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = title
	p.Y.Label.Text = "ARI on the digits test set"
	width := vg.Points(9)
	for ai, alpha := range alphas {
		for mi, m := range federated.Methods() {
			v := values[alpha][m]
			if len(v) == 0 {
				continue
			}
			box, err := methodBox(width, pos(ai, mi), mi, v)
			if err != nil {
				return nil, err
			}
			p.Add(box)
			if ai == 0 {
				swatch, _ := plotter.NewScatter(plotter.XYs{})
				swatch.GlyphStyle = draw.GlyphStyle{Color: palette[mi%len(palette)], Radius: vg.Points(4), Shape: draw.BoxGlyph{}}
				p.Legend.Add(displayName(m), swatch)
			}
		}
	}
	nm := float64(len(federated.Methods()))
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
		// Room below the lowest box for the legend in the lower left
		// corner, where the boxes of alpha = 0 (all near the top) leave it.
		p.Y.Min, p.Y.Max = lo-0.35*(hi-lo), hi+0.03*(hi-lo)
	}
	p.Legend.Top = false
	p.Legend.Left = true
	p.Legend.Padding = vg.Points(2)
	p.Add(plotter.NewGrid())
	return p, nil
}

// zoomPanel shows, for every method whose median is near the best, its
// median and interquartile range on an axis spanning only those, with each
// method named under its point; the others are said to be below.
func zoomPanel(alphas []float64, values map[float64]map[federated.Method]plotter.Values, pos func(int, int) float64) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = "zoom on the methods within 0.01 of the best median (dot: median, bar: interquartile range); the others' medians in their labels"
	p.Y.Label.Text = "ARI"
	p.X.Label.Text = "failure rate α"
	type stat struct{ q [3]float64 }
	stats := map[float64]map[federated.Method]stat{}
	best := math.Inf(-1)
	for _, a := range alphas {
		stats[a] = map[federated.Method]stat{}
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
		for mi, m := range federated.Methods() {
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
			sc.GlyphStyle = draw.GlyphStyle{Color: palette[mi%len(palette)], Radius: vg.Points(3.5), Shape: draw.CircleGlyph{}}
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
func shortName(m federated.Method) string { return displayName(m) }

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
