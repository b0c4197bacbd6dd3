package plots

import (
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/nistgmm/nistgmm/experiments"
)

// PlotScale draws time and peak heap against m on log-log axes.
func PlotScale(path string, rows []experiments.ScaleRow, title string) error {
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
func machineTicks(rows []experiments.ScaleRow) plot.ConstantTicks {
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
