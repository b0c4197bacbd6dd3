package robust

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
)

func allCounted(n int) []bool {
	c := make([]bool, n)
	for j := range c {
		c[j] = true
	}
	return c
}

// With equal n and no under-determined components the trend is no trend:
// TrendZ is VerdictReference's z.
func TestTrendZWithoutCovariatesIsTheReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	y := make([]float64, 30)
	x := make([]float64, 30)
	u := make([]float64, 30)
	for j := range y {
		y[j] = 8 + 0.3*rng.NormFloat64()
		x[j] = math.Log(500)
	}
	y[3] += 20
	z, err := TrendZ(context.Background(), y, x, u, allCounted(30), 2)
	if err != nil {
		t.Fatal(err)
	}
	med, scale := VerdictReference(y)
	for j := range y {
		if want := (y[j] - med) / scale; math.Abs(z[j]-want) > 1e-9 {
			t.Fatalf("site %d: z %v, want %v", j, z[j], want)
		}
	}
	if z[3] < 20 {
		t.Errorf("the far site's z is %v", z[3])
	}
}

// Honest sites with fewer observations per component than about twice
// the dimension lie a step above the rest: the step explains them, and
// without it (u = 0 everywhere) they would be far. A site far above its
// regime stays far.
func TestTrendZAllowsTheUnderdeterminedStep(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const m = 20
	y, x, u := make([]float64, m), make([]float64, m), make([]float64, m)
	for j := range y {
		x[j] = math.Log(100) + rng.Float64()*math.Log(50)
		y[j] = 8 + 0.03*rng.NormFloat64()
		if j < 5 {
			u[j] = 1
			y[j] += 3.5
		}
	}
	y[10] += 5
	z, err := TrendZ(context.Background(), y, x, u, allCounted(m), 1)
	if err != nil {
		t.Fatal(err)
	}
	for j := range z {
		if j != 10 && z[j] > 5 {
			t.Errorf("honest site %d (u %v): z %.1f", j, u[j], z[j])
		}
	}
	if z[10] < 20 {
		t.Errorf("the far site's z is %.1f", z[10])
	}
	noStep, err := TrendZ(context.Background(), y, x, make([]float64, m), allCounted(m), 1)
	if err != nil {
		t.Fatal(err)
	}
	for j := range 5 {
		if noStep[j] < 5 {
			t.Errorf("without the step, under-determined site %d has z %.1f: the test does not exercise the step", j, noStep[j])
		}
	}
}

// A slope in log n within [-1, 1] is explained, and measured on the
// scale about the slope, so that a site far off the line is far (without
// the slope the honest spread along it would hide it); the z does not
// depend on the number of workers.
func TestTrendZAllowsASlope(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const m = 12
	y, x, u := make([]float64, m), make([]float64, m), make([]float64, m)
	for j := range y {
		x[j] = math.Log(100) + rng.Float64()*math.Log(50)
		y[j] = 2 - 0.7*x[j] + 0.02*rng.NormFloat64()
	}
	y[5] += 3
	a, err := TrendZ(context.Background(), y, x, u, allCounted(m), 1)
	if err != nil {
		t.Fatal(err)
	}
	b, err := TrendZ(context.Background(), y, x, u, allCounted(m), 4)
	if err != nil {
		t.Fatal(err)
	}
	for j := range a {
		if a[j] != b[j] {
			t.Fatalf("site %d: z %v with one worker, %v with four", j, a[j], b[j])
		}
		if j != 5 && a[j] > 5 {
			t.Errorf("site %d: z %.1f under an allowed slope", j, a[j])
		}
	}
	if a[5] < 20 {
		t.Errorf("the site off the line has z %.1f", a[5])
	}
}

// trigamma at 1/2 and 1 is pi^2/2 and pi^2/6; the model floor is
// VerdictScaleFloor for a statistic with many degrees of freedom.
func TestModelScaleFloor(t *testing.T) {
	for _, c := range []struct{ x, want float64 }{{0.5, math.Pi * math.Pi / 2}, {1, math.Pi * math.Pi / 6}, {7.5, 0.14261}} {
		if got := trigamma(c.x); math.Abs(got-c.want) > 1e-4*c.want {
			t.Errorf("trigamma(%g) = %g, want %g", c.x, got, c.want)
		}
	}
	if f := ModelScaleFloor(28); f != VerdictScaleFloor {
		t.Errorf("floor at 28 degrees of freedom %g, want %g", f, VerdictScaleFloor)
	}
	if f := ModelScaleFloor(2.25); f < 0.4 {
		t.Errorf("floor at 2.25 degrees of freedom %g, want at least 0.4", f)
	}
}
