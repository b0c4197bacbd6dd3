package experiments

import (
	"encoding/csv"
	"fmt"
	"image/color"
	"io"
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// WriteScaleCSV writes one row per m.
func WriteScaleCSV(w io.Writer, rows []ScaleRow) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"m", "reps", "seconds", "peak_heap_mib", "recall", "honest_flagged", "w1", "centre_search",
		"exact_seconds", "exact_w1", "w1_ratio", "w1_ratio_max"})
	f := func(v float64, prec int) string { return strconv.FormatFloat(v, 'f', prec, 64) }
	for _, r := range rows {
		cw.Write([]string{strconv.Itoa(r.M), strconv.Itoa(r.Reps), f(r.Seconds, 3), f(float64(r.PeakHeapBytes)/(1<<20), 1),
			f(r.Recall, 4), f(r.HonestFlagged, 4), strconv.FormatFloat(r.W1, 'g', 6, 64), r.CentreSearch,
			f(r.ExactSeconds, 3), strconv.FormatFloat(r.ExactW1, 'g', 6, 64), f(r.W1Ratio, 4), f(r.W1RatioMax, 4)})
	}
	cw.Flush()
	return cw.Error()
}

// WriteScaleMarkdown writes the measurement as a table, with the growth
// exponent between consecutive m (log time ratio over log m ratio).
func WriteScaleMarkdown(w io.Writer, c ScaleConfig, rows []ScaleRow, command string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# ARED against the number of machines (K = %d, d = %d, n = %d, alpha = %.2f, %s failure)\n\n", c.K, c.Dim, c.N, c.Alpha, c.Failure)
	if command != "" {
		fmt.Fprintf(&b, "Command:\n\n```\n%s\n```\n\n", command)
	}
	if max(c.Reps, 1) > 1 {
		fmt.Fprintf(&b, "Medians over %d rounds per m (peak heap: the largest; detection: means).\n\n", c.Reps)
	}
	b.WriteString("| m | seconds | growth exponent | peak heap (MiB) | recall | honest flagged | W1 to the truth | centre search |")
	if c.CompareExact {
		b.WriteString(" exact search: seconds | exact search: W1 | W1 ratio (median) | W1 ratio (largest) |")
	}
	b.WriteString("\n|---|---|---|---|---|---|---|---|")
	if c.CompareExact {
		b.WriteString("---|---|---|---|")
	}
	b.WriteString("\n")
	for i, r := range rows {
		exp := "–"
		if i > 0 && rows[i-1].Seconds > 0 && r.M > rows[i-1].M {
			exp = fmt.Sprintf("%.2f", math.Log(r.Seconds/rows[i-1].Seconds)/math.Log(float64(r.M)/float64(rows[i-1].M)))
		}
		search, _, _ := strings.Cut(r.CentreSearch, ";")
		fmt.Fprintf(&b, "| %d | %.2f | %s | %.1f | %.3f | %.3f | %.4g | %s |", r.M, r.Seconds, exp, float64(r.PeakHeapBytes)/(1<<20), r.Recall, r.HonestFlagged, r.W1, search)
		if c.CompareExact {
			fmt.Fprintf(&b, " %.2f | %.4g | %.3f | %.3f |", r.ExactSeconds, r.ExactW1, r.W1Ratio, r.W1RatioMax)
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// PlotScale draws time and peak heap against m on log-log axes.
func PlotScale(path string, rows []ScaleRow, title string) error {
	p := plot.New()
	p.Title.Text = title
	p.Title.Padding = vg.Points(6)
	p.X.Label.Text = "machines m"
	// No label on the value axis: gonum centres it at the mean of the
	// axis's ends in data units, near the top of a log axis, and leaves a
	// blank band above the data for it; the legend gives the units.
	p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	p.X.Tick.Marker, p.Y.Tick.Marker = machineTicks(rows), plot.LogTicks{Prec: -1}
	legend := plot.NewLegend()
	var secs, mem plotter.XYs
	for _, r := range rows {
		secs = append(secs, plotter.XY{X: float64(r.M), Y: math.Max(r.Seconds, 1e-3)})
		mem = append(mem, plotter.XY{X: float64(r.M), Y: math.Max(float64(r.PeakHeapBytes)/(1<<20), 1e-3)})
	}
	for _, s := range []struct {
		pts   plotter.XYs
		name  string
		shape draw.GlyphDrawer
		color color.Color
	}{ // blue and vermillion: apart under every colour-vision deficiency
		{secs, "time (seconds)", draw.CircleGlyph{}, palette[2]}, {mem, "peak heap (MiB)", draw.BoxGlyph{}, palette[1]}} {
		line, points, err := plotter.NewLinePoints(s.pts)
		if err != nil {
			return err
		}
		line.Color, points.Color = s.color, s.color
		points.Shape, points.Radius = s.shape, vg.Points(3.5)
		p.Add(line, points)
		legend.Add(s.name, line, points)
	}
	// A line of slope 1 through the last time: linear growth, for the eye.
	if n := len(rows); n > 1 && rows[n-1].Seconds > 0 {
		last := rows[n-1]
		ref := plotter.XYs{{X: float64(rows[0].M), Y: last.Seconds * float64(rows[0].M) / float64(last.M)}, {X: float64(last.M), Y: last.Seconds}}
		line, err := plotter.NewLine(ref)
		if err != nil {
			return err
		}
		line.Color, line.Dashes = color.Gray{Y: 0x60}, []vg.Length{vg.Points(4), vg.Points(3)}
		p.Add(line)
		legend.Add("time growing like m", line)
	}
	if n := len(rows); n > 0 {
		// The value axis spans whole decades: a log tick beyond its ends
		// would otherwise be made room for, leaving a blank band.
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, pt := range append(secs, mem...) {
			lo, hi = math.Min(lo, pt.Y), math.Max(hi, pt.Y)
		}
		p.Y.Min, p.Y.Max = math.Pow(10, math.Floor(math.Log10(lo))), math.Pow(10, math.Ceil(math.Log10(hi)))
		// Room either side, so that the first and last points and their
		// labels are not cut at the edges.
		p.X.Min, p.X.Max = float64(rows[0].M)/1.25, float64(rows[n-1].M)*1.25
	}
	p.Add(plotter.NewGrid())
	return saveWithLegendRight(path, p, legend, 6*vg.Inch, 4.5*vg.Inch, 1.9*vg.Inch)
}

// machineTicks labels every machine count of the rows (a log axis labels
// only powers of ten, which a run of 1,000, 3,000 and 10,000 machines
// would mostly miss), and marks the powers of ten between them unlabelled.
func machineTicks(rows []ScaleRow) plot.ConstantTicks {
	var ticks []plot.Tick
	labelled := map[float64]bool{}
	for _, r := range rows {
		ticks = append(ticks, plot.Tick{Value: float64(r.M), Label: groupThousands(r.M)})
		labelled[float64(r.M)] = true
	}
	if len(rows) > 0 {
		for v := math.Pow(10, math.Floor(math.Log10(float64(rows[0].M)))); v <= float64(rows[len(rows)-1].M)*1.25; v *= 10 {
			if !labelled[v] && v >= float64(rows[0].M)/1.25 {
				ticks = append(ticks, plot.Tick{Value: v})
			}
		}
	}
	return ticks
}

// groupThousands writes n with commas between thousands (10,000).
func groupThousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// saveWithLegendRight draws p at w x h with its legend in a column of
// legendWidth to the right, outside the data, and saves it as a PNG.
func saveWithLegendRight(path string, p *plot.Plot, legend plot.Legend, w, h, legendWidth vg.Length) error {
	img := vgimg.New(w+legendWidth, h)
	dc := draw.New(img)
	p.Draw(draw.Canvas{Canvas: dc.Canvas, Rectangle: vg.Rectangle{Max: vg.Point{X: w, Y: h}}})
	legend.Top, legend.Left = true, true
	legend.Padding = vg.Points(4)
	legend.Draw(draw.Canvas{Canvas: dc.Canvas, Rectangle: vg.Rectangle{
		Min: vg.Point{X: w + vg.Points(6), Y: 0},
		Max: vg.Point{X: w + legendWidth - vg.Points(6), Y: h - 0.5*vg.Inch}}})
	return saveCanvas(path, img)
}
