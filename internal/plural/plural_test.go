package plural

import "testing"

func TestCount(t *testing.T) {
	for n, want := range map[int]string{0: "0 repetitions", 1: "1 repetition", 2: "2 repetitions"} {
		if got := Count(n, "repetition"); got != want {
			t.Errorf("Count(%d) = %q, want %q", n, got, want)
		}
	}
}
