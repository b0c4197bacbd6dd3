package plots

import (
	"fmt"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/nistgmm/nistgmm/experiments"
	"github.com/nistgmm/nistgmm/federated/server"
)

// With fewer than five values a box would collapse into a dash with no
// colour: each value is a marker in the method's colour instead.
func TestFewValuesAreDotsNotDashes(t *testing.T) {
	few, err := methodBox(10, 0, 1, plotter.Values{0.9})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := few[0].(*plotter.Scatter); !ok || len(few) != 1 {
		t.Errorf("one value drawn as %T", few)
	}
	many, err := methodBox(10, 0, 1, plotter.Values{0.1, 0.2, 0.3, 0.4, 0.5})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := many[0].(*plotter.BoxPlot); !ok {
		t.Errorf("five values drawn as %T", many)
	}
}

// syntheticReps returns n repetitions with every method at every alpha of
// Table 2, ARIs spread between 0.6 and 0.97.
func syntheticReps(n int) []experiments.Table2Rep {
	var reps []experiments.Table2Rep
	for r := 0; r < n; r++ {
		rep := experiments.Table2Rep{Rep: r}
		for ai, a := range []float64{0, 0.1, 0.2, 0.3, 0.4} {
			ar := experiments.AlphaResult{Alpha: a}
			for mi, m := range server.Methods() {
				ari := 0.97 - 0.001*float64(mi) - 0.0005*float64(r%3)
				if m == server.GMR {
					ari -= 0.09 * float64(ai)
				}
				ar.Methods = append(ar.Methods, experiments.MethodResult{Method: m, ARI: ari})
			}
			rep.Alphas = append(rep.Alphas, ar)
		}
		reps = append(reps, rep)
	}
	return reps
}

// Every marker and label stays inside the panels, the highest values stay
// clear of the title, and a caption says when repetitions are markers.
func TestTable2PanelsLeaveRoom(t *testing.T) {
	full, zoom, note, err := table2Panels(syntheticReps(2), "title")
	if err != nil {
		t.Fatal(err)
	}
	last := float64(5*(len(server.Methods())+1) - 2) // the last method at the last alpha
	for name, p := range map[string]float64{"full": full.X.Max, "zoom": zoom.X.Max} {
		if p < last+0.5 {
			t.Errorf("%s panel ends at x = %v, at the last marker (%v)", name, p, last)
		}
	}
	if full.X.Min > -0.5 {
		t.Errorf("full panel starts at x = %v, at the first marker", full.X.Min)
	}
	lo, hi := 0.97-0.005-0.001-0.36, 0.97
	if full.Y.Max < hi+0.05*(hi-lo) {
		t.Errorf("full panel's top %v leaves no room above %v", full.Y.Max, hi)
	}
	if !strings.Contains(note, "Only 2 repetitions: each is drawn as a marker") {
		t.Errorf("caption %q", note)
	}
	if _, _, note, _ := table2Panels(syntheticReps(5), "title"); note != "" {
		t.Errorf("caption with five repetitions: %q", note)
	}
}

// The legend is drawn in its own column right of the panels: every
// method's colour is found there.
func TestTable2LegendStandsOutside(t *testing.T) {
	path := filepath.Join(t.TempDir(), "table2.png")
	if err := PlotTable2(path, syntheticReps(5), "title"); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	column := b.Max.X - int(float64(b.Dx())*float64(table2LegendWidth)/float64(5*vg.Inch*1.8+1.2*vg.Inch+table2LegendWidth))
	for mi, want := range palette[:len(server.Methods())] {
		found := false
		for y := b.Min.Y; y < b.Max.Y && !found; y++ {
			for x := column; x < b.Max.X && !found; x++ {
				found = sameColour(img.At(x, y), want)
			}
		}
		if !found {
			t.Errorf("%s's colour is not in the legend column", server.Methods()[mi])
		}
	}
}

func sameColour(a, b color.Color) bool {
	r1, g1, b1, _ := a.RGBA()
	r2, g2, b2, _ := b.RGBA()
	return r1>>8 == r2>>8 && g1>>8 == g2>>8 && b1>>8 == b2>>8
}

// Every pair of methods differs by a clearly visible colour difference
// (CIELAB distance at least 12) for normal vision and under simulated
// protanopia, deuteranopia and tritanopia (Machado, Oliveira and
// Fernandes 2009, full severity), and by its marker.
func TestMethodStylesStayApart(t *testing.T) {
	deficiencies := map[string][3][3]float64{
		"normal":       {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}},
		"protanopia":   {{0.152286, 1.052583, -0.204868}, {0.114503, 0.786281, 0.099216}, {-0.003882, -0.048116, 1.051998}},
		"deuteranopia": {{0.367322, 0.860646, -0.227968}, {0.280085, 0.672501, 0.047413}, {-0.011820, 0.042940, 0.968881}},
		"tritanopia":   {{1.255528, -0.076749, -0.178779}, {-0.078411, 0.930809, 0.147602}, {0.004733, 0.691367, 0.303900}},
	}
	methods := server.Methods()
	for name, m := range deficiencies {
		for i := range methods {
			for j := i + 1; j < len(methods); j++ {
				if d := labDistance(simulate(palette[i], m), simulate(palette[j], m)); d < 12 {
					t.Errorf("%s and %s differ by %.1f under %s", methods[i], methods[j], d, name)
				}
			}
		}
	}
	seen := map[string]server.Method{}
	for i, m := range methods {
		key := fmt.Sprintf("%T%v", glyphs[i], glyphs[i])
		if other, ok := seen[key]; ok {
			t.Errorf("%s and %s share the marker %s", m, other, key)
		}
		seen[key] = m
	}
}

// simulate returns c's linear RGB as seen with the deficiency m.
func simulate(c color.Color, m [3][3]float64) [3]float64 {
	r, g, b, _ := c.RGBA()
	lin := func(v uint32) float64 {
		x := float64(v) / 0xffff
		if x <= 0.04045 {
			return x / 12.92
		}
		return math.Pow((x+0.055)/1.055, 2.4)
	}
	in := [3]float64{lin(r), lin(g), lin(b)}
	var out [3]float64
	for i := range out {
		for j := range in {
			out[i] += m[i][j] * in[j]
		}
		out[i] = math.Min(1, math.Max(0, out[i]))
	}
	return out
}

// labDistance is the CIE 1976 colour difference of two linear RGB colours.
func labDistance(a, b [3]float64) float64 {
	lab := func(c [3]float64) [3]float64 {
		x := (0.4124*c[0] + 0.3576*c[1] + 0.1805*c[2]) / 0.95047
		y := 0.2126*c[0] + 0.7152*c[1] + 0.0722*c[2]
		z := (0.0193*c[0] + 0.1192*c[1] + 0.9505*c[2]) / 1.08883
		f := func(t float64) float64 {
			if t > 216.0/24389 {
				return math.Cbrt(t)
			}
			return (24389.0/27*t + 16) / 116
		}
		return [3]float64{116*f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))}
	}
	p, q := lab(a), lab(b)
	return math.Sqrt((p[0]-q[0])*(p[0]-q[0]) + (p[1]-q[1])*(p[1]-q[1]) + (p[2]-q[2])*(p[2]-q[2]))
}

// scale.png labels every machine count, not only the powers of ten.
func TestScaleTicksLabelEveryM(t *testing.T) {
	rows := []experiments.ScaleRow{{M: 1000}, {M: 3000}, {M: 10000}, {M: 30000}}
	var labels []string
	for _, tick := range machineTicks(rows) {
		if tick.Label != "" {
			labels = append(labels, tick.Label)
		}
	}
	if strings.Join(labels, " ") != "1,000 3,000 10,000 30,000" {
		t.Errorf("labelled ticks %v", labels)
	}
}
