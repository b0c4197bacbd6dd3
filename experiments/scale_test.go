package experiments

import (
	"context"
	"testing"

	"github.com/nistgmm/nistgmm/federated/adversary"
)

// The scale measurement runs, catches the mean failure and reports a time
// and a heap for every m.
func TestRunScaleMeasuresEveryM(t *testing.T) {
	c := ScaleConfig{Ms: []int{20, 40}, K: 3, Dim: 2, N: 300, Alpha: 0.2, Failure: adversary.MeanFailure, Seed: 1,
		Aggregation: DefaultAggregation()}
	rows, err := RunScale(context.Background(), c, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].M != 20 || rows[1].M != 40 {
		t.Fatalf("rows %+v", rows)
	}
	for _, r := range rows {
		if r.Seconds <= 0 || r.Recall != 1 || r.W1 <= 0 {
			t.Errorf("m = %d: %+v", r.M, r)
		}
	}
	c.Failure = adversary.Inside
	if err := c.Validate(); err == nil {
		t.Error("an adaptive failure accepted")
	}
}
