package plots

import (
	"errors"
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/nistgmm/nistgmm/experiments"
	"github.com/nistgmm/nistgmm/federated/server"
)

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
func PlotTable2(path string, reps []experiments.Table2Rep, title string) error {
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
		legend.Add(experiments.DisplayName(m), legendKey{mi})
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
func table2Panels(reps []experiments.Table2Rep, title string) (full, zoom *plot.Plot, note string, err error) {
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
			q := experiments.Quartiles(v)
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
func shortName(m server.Method) string { return experiments.DisplayName(m) }
