package plots

import (
	"image/color"
	"math"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/nistgmm/nistgmm/experiments"
)

// CalibrationPoint is one m of a verdict calibration: the share of its
// clean rounds that flagged an honest site, with a 95% Wilson interval.
type CalibrationPoint struct {
	M               int
	Rounds, Flagged int
	Share, Lo, Hi   float64
}

// CalibrationPoints counts, per m, the clean rounds whose verdicts flagged
// at least one (honest) site at the server's level.
func CalibrationPoints(rounds []experiments.VerdictRound) []CalibrationPoint {
	byM := map[int]*CalibrationPoint{}
	for _, r := range rounds {
		p := byM[r.M]
		if p == nil {
			p = &CalibrationPoint{M: r.M}
			byM[r.M] = p
		}
		p.Rounds++
		if r.Flagged > 0 {
			p.Flagged++
		}
	}
	out := make([]CalibrationPoint, 0, len(byM))
	for _, p := range byM {
		p.Share = float64(p.Flagged) / float64(p.Rounds)
		p.Lo, p.Hi = wilson(p.Flagged, p.Rounds)
		out = append(out, *p)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].M < out[b].M })
	return out
}

// wilson is the 95% Wilson score interval of k successes in n trials:
// unlike the normal one it stays inside [0, 1] and is not empty at k = 0,
// which is most of these counts.
func wilson(k, n int) (lo, hi float64) {
	if n == 0 {
		return 0, 1
	}
	const z = 1.959963984540054
	p, nn := float64(k)/float64(n), float64(n)
	centre := (p + z*z/(2*nn)) / (1 + z*z/nn)
	half := z / (1 + z*z/nn) * math.Sqrt(p*(1-p)/nn+z*z/(4*nn*nn))
	return math.Max(0, centre-half), math.Min(1, centre+half)
}

// PlotVerdictCalibration draws, per m on a log axis, the percentage of
// clean rounds that flagged an honest site with its 95% interval, and the
// family-wise level the verdicts promise as a dashed line.
func PlotVerdictCalibration(path string, rounds []experiments.VerdictRound, level float64, title string) error {
	pts := CalibrationPoints(rounds)
	p := plot.New()
	p.Title.Text = title
	p.Title.Padding = vg.Points(6)
	p.X.Label.Text = "sites m"
	p.Y.Label.Text = "% of clean rounds flagging an honest site"
	p.X.Scale = plot.LogScale{}
	var ticks plot.ConstantTicks
	var xy plotter.XYs
	var errs plotter.YErrors
	for _, c := range pts {
		ticks = append(ticks, plot.Tick{Value: float64(c.M), Label: groupThousands(c.M)})
		xy = append(xy, plotter.XY{X: float64(c.M), Y: 100 * c.Share})
		errs = append(errs, struct{ Low, High float64 }{100 * (c.Share - c.Lo), 100 * (c.Hi - c.Share)})
	}
	p.X.Tick.Marker = ticks
	legend := plot.NewLegend()
	if len(pts) > 0 {
		bars, err := plotter.NewYErrorBars(struct {
			plotter.XYer
			plotter.YErrorer
		}{xy, errs})
		if err != nil {
			return err
		}
		bars.Color = palette[1]
		points, err := plotter.NewScatter(xy)
		if err != nil {
			return err
		}
		points.Color, points.Shape, points.Radius = palette[1], draw.CircleGlyph{}, vg.Points(3.5)
		p.Add(bars, points)
		legend.Add("share, 95% interval", points)
		p.X.Min, p.X.Max = float64(pts[0].M)/1.4, float64(pts[len(pts)-1].M)*1.4
		ref := plotter.XYs{{X: p.X.Min, Y: 100 * level}, {X: p.X.Max, Y: 100 * level}}
		line, err := plotter.NewLine(ref)
		if err != nil {
			return err
		}
		line.Color, line.Dashes = color.Gray{Y: 0x60}, []vg.Length{vg.Points(4), vg.Points(3)}
		p.Add(line)
		legend.Add("family-wise level", line)
	}
	p.Y.Min = 0
	for _, c := range pts {
		p.Y.Max = math.Max(p.Y.Max, 100*c.Hi*1.05)
	}
	p.Add(plotter.NewGrid())
	return saveWithLegendRight(path, p, legend, 6*vg.Inch, 4.5*vg.Inch, 2.4*vg.Inch)
}
