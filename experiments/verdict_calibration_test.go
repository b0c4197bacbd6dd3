package experiments

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// The calibration's rounds do not depend on the number of workers, and its
// table counts a round as flagging when its largest z passes Holm's first
// step under the cap.
func TestCalibrateVerdictsIsDeterministic(t *testing.T) {
	c := VerdictCalibration{Rounds: 3, Seed: 4, Ks: []int{2}, Dims: []int{2}, Ms: []int{5, 8}, Omegas: []float64{0.01},
		NMin: 100, NMax: 400, LargeM: 50, LargeKD: 25}
	c.Workers = 1
	a, err := CalibrateVerdicts(context.Background(), c, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.Workers = 3
	b, err := CalibrateVerdicts(context.Background(), c, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("round %d: %+v with one worker, %+v with three", i, a[i], b[i])
		}
	}
	rounds := []VerdictRound{{M: 50, ZMax: 25}, {M: 50, ZMax: 1}}
	var buf bytes.Buffer
	if err := WriteVerdictCalibration(&buf, rounds, 0.01, []float64{3, 2}); err != nil {
		t.Fatal(err)
	}
	// z = 25 passes (twice its tail below 0.01/50) with 3 degrees of
	// freedom (22.2 needed), not with 2 (70.7).
	if !strings.Contains(buf.String(), "| 50 | 2 | 50.0% | 0.0% |") {
		t.Errorf("table:\n%s", buf.String())
	}
}
