package experiments

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/nistgmm/nistgmm/federated"
)

var palette = []color.Color{
	color.RGBA{0x1b, 0x9e, 0x77, 0xff}, color.RGBA{0xd9, 0x5f, 0x02, 0xff}, color.RGBA{0x75, 0x70, 0xb3, 0xff},
	color.RGBA{0xe7, 0x29, 0x8a, 0xff}, color.RGBA{0x66, 0xa6, 0x1e, 0xff}, color.RGBA{0xa6, 0x76, 0x1d, 0xff},
}

// methodBox is the box of method number mi (in federated.Methods) at x,
// in that method's colour.
func methodBox(width vg.Length, x float64, mi int, v plotter.Values) (*plotter.BoxPlot, error) {
	box, err := plotter.NewBoxPlot(width, x, v)
	if err != nil {
		return nil, err
	}
	box.FillColor = palette[mi%len(palette)]
	box.MedianStyle.Width = vg.Points(1.5)
	box.GlyphStyle.Radius = vg.Points(1.3)
	return box, nil
}

// Plot draws one box per method and alpha of the repetitions' ARI and saves
// it (the format follows the file extension: .png, .svg, .pdf).
func Plot(path string, reps []Table2Rep, title string) error {
	p := plot.New()
	p.Title.Text = title
	p.Y.Label.Text = "ARI on the digits test set"
	p.X.Label.Text = "failure rate α"
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
	nm := float64(len(federated.Methods))
	width := vg.Points(9)
	var names []string
	for ai, alpha := range alphas {
		names = append(names, fmt.Sprintf("α = %.1f", alpha))
		for mi, m := range federated.Methods {
			v := values[alpha][m]
			if len(v) == 0 {
				continue
			}
			box, err := methodBox(width, float64(ai)*(nm+1)+float64(mi), mi, v)
			if err != nil {
				return err
			}
			p.Add(box)
			if ai == 0 {
				swatch, _ := plotter.NewScatter(plotter.XYs{})
				swatch.GlyphStyle = draw.GlyphStyle{Color: palette[mi%len(palette)], Radius: vg.Points(4), Shape: draw.BoxGlyph{}}
				p.Legend.Add(displayName(m), swatch)
			}
		}
	}
	ticks := make([]plot.Tick, len(alphas))
	for i := range alphas {
		ticks[i] = plot.Tick{Value: float64(i)*(nm+1) + (nm-1)/2, Label: names[i]}
	}
	p.X.Tick.Marker = plot.ConstantTicks(ticks)
	// Room below the lowest box for the legend in the lower left corner.
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, byMethod := range values {
		for _, v := range byMethod {
			for _, x := range v {
				lo, hi = math.Min(lo, x), math.Max(hi, x)
			}
		}
	}
	if hi > lo {
		p.Y.Min, p.Y.Max = lo-0.35*(hi-lo), hi+0.02*(hi-lo)
	}
	p.Legend.Top = false
	p.Legend.Left = true
	w := vg.Length(len(alphas))*vg.Inch*1.6 + vg.Inch
	return p.Save(w, 4.5*vg.Inch, path)
}
