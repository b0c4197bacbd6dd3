package experiments

import (
	"testing"

	"gonum.org/v1/plot/plotter"
)

// With fewer than five values a box would collapse into a dash with no
// colour: each value is a dot in the method's colour instead.
func TestFewValuesAreDotsNotDashes(t *testing.T) {
	few, err := methodBox(10, 0, 1, plotter.Values{0.9})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := few.(*plotter.Scatter); !ok {
		t.Errorf("one value drawn as %T", few)
	}
	many, err := methodBox(10, 0, 1, plotter.Values{0.1, 0.2, 0.3, 0.4, 0.5})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := many.(*plotter.BoxPlot); !ok {
		t.Errorf("five values drawn as %T", many)
	}
}
