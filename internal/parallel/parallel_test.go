package parallel

import (
	"context"
	"errors"
	"testing"
)

func TestForFillsEverySlotAndJoinsErrors(t *testing.T) {
	for _, w := range []int{1, 3, 0} {
		out := make([]int, 100)
		bad := errors.New("bad")
		err := For(context.Background(), len(out), w, func(i int) error {
			out[i] = i * i
			if i == 7 {
				return bad
			}
			return nil
		})
		if !errors.Is(err, bad) {
			t.Fatalf("workers %d: error %v", w, err)
		}
		for i, v := range out {
			if v != i*i {
				t.Fatalf("workers %d: slot %d = %d", w, i, v)
			}
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ran := false
	if err := For(ctx, 5, 2, func(int) error { ran = true; return nil }); !errors.Is(err, context.Canceled) || ran {
		t.Fatalf("cancelled: err %v, ran %v", err, ran)
	}
}
