package experiments

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
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
	p.X.Label.Text = "machines m"
	p.Y.Label.Text = "seconds (dots) and peak heap in MiB (squares)"
	p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	p.X.Tick.Marker, p.Y.Tick.Marker = plot.LogTicks{Prec: -1}, plot.LogTicks{Prec: -1}
	var secs, mem plotter.XYs
	for _, r := range rows {
		secs = append(secs, plotter.XY{X: float64(r.M), Y: math.Max(r.Seconds, 1e-3)})
		mem = append(mem, plotter.XY{X: float64(r.M), Y: math.Max(float64(r.PeakHeapBytes)/(1<<20), 1e-3)})
	}
	for i, s := range []struct {
		pts   plotter.XYs
		name  string
		shape draw.GlyphDrawer
	}{{secs, "seconds", draw.CircleGlyph{}}, {mem, "peak heap (MiB)", draw.BoxGlyph{}}} {
		line, points, err := plotter.NewLinePoints(s.pts)
		if err != nil {
			return err
		}
		line.Color, points.Color = palette[i], palette[i]
		points.Shape, points.Radius = s.shape, vg.Points(3)
		p.Add(line, points)
		p.Legend.Add(s.name, line, points)
	}
	// A line of slope 1 through the last time: linear growth, for the eye.
	if n := len(rows); n > 1 && rows[n-1].Seconds > 0 {
		last := rows[n-1]
		ref := plotter.XYs{{X: float64(rows[0].M), Y: last.Seconds * float64(rows[0].M) / float64(last.M)}, {X: float64(last.M), Y: last.Seconds}}
		line, err := plotter.NewLine(ref)
		if err != nil {
			return err
		}
		line.Color, line.Dashes = palette[0], []vg.Length{vg.Points(4), vg.Points(3)}
		p.Add(line)
		p.Legend.Add("time growing like m", line)
	}
	p.Legend.Top, p.Legend.Left = true, true
	p.Add(plotter.NewGrid())
	return p.Save(6*vg.Inch, 4.5*vg.Inch, path)
}
