package plots

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/nistgmm/nistgmm/experiments"
	"github.com/nistgmm/nistgmm/federated/adversary"
	"github.com/nistgmm/nistgmm/federated/server"
)

// SimMetric chooses what a simulation plot shows.
type SimMetric string

const (
	MetricW1  SimMetric = "w1"  // W1 to the true mixing distribution (Figures 2-5), log scale
	MetricARI SimMetric = "ari" // ARI against the truth's clustering (Figures 7-10)
)

// simLayout places the cells of a grid on a figure: one row of panels per
// failure kind, one column per value of the first axis that varies (alpha,
// then m, n, MaxOmega), and within a panel one group of boxes per value of
// the remaining varying axes, one box per method.
type simLayout struct {
	failures []adversary.Failure
	cols     []string
	groups   []string
	col      func(experiments.SimResult) string
	group    func(experiments.SimResult) string
}

func newSimLayout(c experiments.SimConfig, reps []experiments.SimRep) simLayout {
	type axis struct {
		label func(experiments.SimResult) string
		n     int
	}
	distinct := func(f func(experiments.SimResult) string) int {
		seen := map[string]bool{}
		for _, rep := range reps {
			for _, r := range rep.Results {
				seen[f(r)] = true
			}
		}
		return len(seen)
	}
	mLabel := func(r experiments.SimResult) string {
		if c.NTotal > 0 {
			return fmt.Sprintf("m = %d (n = %d)", r.M, r.N)
		}
		return fmt.Sprintf("m = %d", r.M)
	}
	axes := []axis{
		{label: func(r experiments.SimResult) string { return fmt.Sprintf("α = %.1f", r.Alpha) }},
		{label: mLabel},
		{label: func(r experiments.SimResult) string { return fmt.Sprintf("n = %d", r.N) }},
		{label: func(r experiments.SimResult) string { return fmt.Sprintf("MaxOmega = %.2f", r.MaxOmega) }},
	}
	if c.NTotal > 0 {
		axes = append(axes[:2], axes[3]) // n follows m
	}
	var varying []axis
	for _, a := range axes {
		if a.n = distinct(a.label); a.n > 1 {
			varying = append(varying, a)
		}
	}
	l := simLayout{failures: c.Failures}
	l.col = func(experiments.SimResult) string { return "" }
	l.group = func(experiments.SimResult) string { return "" }
	if len(varying) > 0 {
		l.col = varying[0].label
		rest := varying[1:]
		l.group = func(r experiments.SimResult) string {
			parts := make([]string, len(rest))
			for i, a := range rest {
				parts[i] = a.label(r)
			}
			return strings.Join(parts, ", ")
		}
	}
	// Order columns and groups by the grid's numbers, not by text.
	type entry struct {
		label string
		key   [4]float64
	}
	collect := func(f func(experiments.SimResult) string) []string {
		seen := map[string][4]float64{}
		for _, rep := range reps {
			for _, r := range rep.Results {
				if _, ok := seen[f(r)]; !ok {
					seen[f(r)] = [4]float64{r.Alpha, float64(r.M), float64(r.N), r.MaxOmega}
				}
			}
		}
		var es []entry
		for lab, k := range seen {
			es = append(es, entry{lab, k})
		}
		sort.Slice(es, func(i, j int) bool {
			for d := range es[i].key {
				if es[i].key[d] != es[j].key[d] {
					return es[i].key[d] < es[j].key[d]
				}
			}
			return es[i].label < es[j].label
		})
		out := make([]string, len(es))
		for i, e := range es {
			out[i] = e.label
		}
		return out
	}
	l.cols, l.groups = collect(l.col), collect(l.group)
	return l
}

// PlotSimulation draws the repetitions' metric as box plots laid out like
// the paper's Figures 2-5 (W1) or 7-10 (ARI) and saves a PNG.
func PlotSimulation(path string, c experiments.SimConfig, reps []experiments.SimRep, metric SimMetric, title string) error {
	return plotSimulation(path, c, reps, metric, title, false)
}

// PlotSimulationZoom draws the same layout zoomed, panel by panel, on the
// methods near the best: within 25% of the smallest median W1, or within
// 0.01 of the largest median ARI, each as its median and interquartile
// range on a linear axis, so that methods that differ by a few thousandths
// are told apart; the others are left out of the panel.
func PlotSimulationZoom(path string, c experiments.SimConfig, reps []experiments.SimRep, metric SimMetric, title string) error {
	return plotSimulation(path, c, reps, metric, title, true)
}

func plotSimulation(path string, c experiments.SimConfig, reps []experiments.SimRep, metric SimMetric, title string, zoom bool) error {
	l := newSimLayout(c, reps)
	if len(l.cols) == 0 {
		return fmt.Errorf("plot: no results to draw")
	}
	values := map[string]map[server.Method]plotter.Values{} // failure|col|group
	for _, rep := range reps {
		for _, r := range rep.Results {
			k := string(r.Failure) + "|" + l.col(r) + "|" + l.group(r)
			if values[k] == nil {
				values[k] = map[server.Method]plotter.Values{}
			}
			for _, m := range r.Methods {
				v := m.ARI
				if metric == MetricW1 {
					v = math.Max(m.W1, 1e-12) // log scale
				}
				values[k][m.Method] = append(values[k][m.Method], v)
			}
		}
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, byMethod := range values {
		for _, v := range byMethod {
			for _, x := range v {
				lo, hi = math.Min(lo, x), math.Max(hi, x)
			}
		}
	}
	rows, cols := len(l.failures), len(l.cols)
	nm := float64(len(server.Methods()))
	plots := make([][]*plot.Plot, rows)
	for i, f := range l.failures {
		plots[i] = make([]*plot.Plot, cols)
		for j, col := range l.cols {
			p := plot.New()
			if j == 0 { // the row's failure kind, once
				p.Y.Label.Text = fmt.Sprintf("%s failure: W1", f)
				if metric == MetricARI {
					p.Y.Label.Text = fmt.Sprintf("%s failure: ARI", f)
				}
			}
			if metric == MetricW1 && !zoom {
				p.Y.Scale = plot.LogScale{}
				p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
			}
			var ticks []plot.Tick
			zlo, zhi := math.Inf(1), math.Inf(-1)
			for g, group := range l.groups {
				k := string(f) + "|" + col + "|" + group
				if zoom {
					lo, hi, err := addZoomedGroup(p, values[k], metric, float64(g)*(nm+1))
					if err != nil {
						return err
					}
					zlo, zhi = math.Min(zlo, lo), math.Max(zhi, hi)
				} else {
					for mi, m := range server.Methods() {
						v := values[k][m]
						if len(v) == 0 {
							continue
						}
						box, err := methodBox(vg.Points(7), float64(g)*(nm+1)+float64(mi), mi, v)
						if err != nil {
							return err
						}
						p.Add(box...)
					}
				}
				ticks = append(ticks, plot.Tick{Value: float64(g)*(nm+1) + (nm-1)/2, Label: group})
			}
			p.X.Tick.Marker = plot.ConstantTicks(ticks)
			p.X.Min, p.X.Max = -1, float64(len(l.groups))*(nm+1)-1
			if zoom && zhi > zlo {
				pad := 0.08 * (zhi - zlo)
				p.Y.Min, p.Y.Max = zlo-pad, zhi+3*pad
			} else if zoom {
				p.Y.Min, p.Y.Max = zlo-0.001, zhi+0.003
			} else if hi > lo {
				if metric == MetricW1 {
					p.Y.Min, p.Y.Max = lo/1.5, hi*4 // room for the column name
				} else {
					p.Y.Min, p.Y.Max = math.Max(-1, lo-0.02*(hi-lo)), hi+0.12*(hi-lo) // room for the column name
				}
			}
			// The column's name inside the data area, at its top: a title
			// above would sit higher in the first column, whose rotated
			// axis label changes the panel's layout.
			if lab, err := plotter.NewLabels(plotter.XYLabels{XYs: plotter.XYs{{X: (p.X.Min + p.X.Max) / 2, Y: p.Y.Max}},
				Labels: []string{col}}); err == nil && hi > lo {
				lab.TextStyle[0].XAlign, lab.TextStyle[0].YAlign = draw.XCenter, draw.YTop
				lab.TextStyle[0].Font.Size = vg.Points(10)
				p.Add(lab)
			}
			plots[i][j] = p
		}
	}
	panelW := vg.Inch * vg.Length(math.Max(2.4, 1.3+0.55*float64(len(l.groups))))
	headerH := vg.Inch * 0.65
	width, height := panelW*vg.Length(cols), vg.Inch*2.6*vg.Length(rows)+headerH
	img := vgimg.New(width, height)
	dc := draw.New(img)
	top := draw.Crop(dc, 0, 0, 0, -headerH)
	drawHeader(dc, width, height, headerH, title)
	tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Millimeter * 2, PadY: vg.Millimeter * 2,
		PadTop: vg.Millimeter, PadBottom: vg.Millimeter, PadLeft: vg.Millimeter, PadRight: vg.Millimeter}
	canvases := plot.Align(plots, tiles, top)
	for i := range plots {
		for j := range plots[i] {
			plots[i][j].Draw(canvases[i][j])
		}
	}
	return saveCanvas(path, img)
}

// drawHeader writes the title and, below it, one legend entry per method
// in a row, above the panels.
func drawHeader(dc draw.Canvas, width, height, headerH vg.Length, title string) {
	style := plot.New().Title.TextStyle
	style.Font.Size = vg.Points(12)
	style.XAlign, style.YAlign = draw.XCenter, draw.YCenter
	dc.FillText(style, vg.Point{X: width / 2, Y: height - headerH*0.3}, title)
	label := style
	label.Font.Size = vg.Points(9)
	label.XAlign = draw.XLeft
	entry := vg.Inch * 0.85
	x := width/2 - entry*vg.Length(len(server.Methods()))/2
	y := height - headerH*0.72
	for mi, m := range server.Methods() {
		sq := vg.Points(8)
		dc.SetColor(palette[mi%len(palette)])
		var path vg.Path
		path.Move(vg.Point{X: x, Y: y - sq/2})
		path.Line(vg.Point{X: x + sq, Y: y - sq/2})
		path.Line(vg.Point{X: x + sq, Y: y + sq/2})
		path.Line(vg.Point{X: x, Y: y + sq/2})
		path.Close()
		dc.Fill(path)
		dc.FillText(label, vg.Point{X: x + sq + vg.Points(3), Y: y}, experiments.DisplayName(m))
		x += entry
	}
}

// addZoomedGroup draws, at x and after, the median and interquartile range
// of every method near the best of the group, and returns the range they
// span.
func addZoomedGroup(p *plot.Plot, byMethod map[server.Method]plotter.Values, metric SimMetric, x float64) (float64, float64, error) {
	q := map[server.Method][3]float64{}
	best := math.Inf(1)
	if metric == MetricARI {
		best = math.Inf(-1)
	}
	for m, v := range byMethod {
		if len(v) == 0 {
			continue
		}
		q[m] = experiments.Quartiles(v)
		if metric == MetricARI {
			best = math.Max(best, q[m][1])
		} else {
			best = math.Min(best, q[m][1])
		}
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for mi, m := range server.Methods() {
		s, ok := q[m]
		if !ok || metric == MetricARI && s[1] < best-0.01 || metric != MetricARI && s[1] > 1.25*best {
			continue
		}
		xm := x + float64(mi)
		line, err := plotter.NewLine(plotter.XYs{{X: xm, Y: s[0]}, {X: xm, Y: s[2]}})
		if err != nil {
			return 0, 0, err
		}
		line.LineStyle = draw.LineStyle{Color: palette[mi%len(palette)], Width: vg.Points(2)}
		dot, err := plotter.NewScatter(plotter.XYs{{X: xm, Y: s[1]}})
		if err != nil {
			return 0, 0, err
		}
		dot.GlyphStyle = draw.GlyphStyle{Color: palette[mi%len(palette)], Radius: vg.Points(3), Shape: draw.CircleGlyph{}}
		p.Add(line, dot)
		lo, hi = math.Min(lo, s[0]), math.Max(hi, s[2])
	}
	return lo, hi, nil
}
