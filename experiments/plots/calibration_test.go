package plots

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/nistgmm/nistgmm/experiments"
)

// The points count rounds per m, and the Wilson interval holds the share
// and stays inside [0, 1], not empty at none flagged.
func TestCalibrationPoints(t *testing.T) {
	rounds := []experiments.VerdictRound{{M: 10, Flagged: 1}, {M: 10}, {M: 10}, {M: 10}, {M: 5}, {M: 5}}
	pts := CalibrationPoints(rounds)
	if len(pts) != 2 || pts[0].M != 5 || pts[1].M != 10 {
		t.Fatalf("points %+v", pts)
	}
	if pts[1].Rounds != 4 || pts[1].Flagged != 1 || pts[1].Share != 0.25 {
		t.Errorf("m = 10: %+v", pts[1])
	}
	if pts[0].Lo != 0 || !(pts[0].Hi > 0.5 && pts[0].Hi < 1) {
		t.Errorf("none of 2 flagged: interval [%v, %v]", pts[0].Lo, pts[0].Hi)
	}
	// 1 of 4: Wilson's interval is [0.0456, 0.6994].
	if math.Abs(pts[1].Lo-0.0456) > 1e-3 || math.Abs(pts[1].Hi-0.6994) > 1e-3 {
		t.Errorf("1 of 4: interval [%v, %v]", pts[1].Lo, pts[1].Hi)
	}
	png := filepath.Join(t.TempDir(), "calibration.png")
	if err := PlotVerdictCalibration(png, rounds, 0.01, "test"); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(png); err != nil || st.Size() < 1000 {
		t.Fatalf("plot: %v", err)
	}
}
