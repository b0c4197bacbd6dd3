package eval

import "fmt"

// choose2 is n(n-1)/2 as a float, exact for any count that fits in memory.
func choose2(n int) float64 { return float64(n) * float64(n-1) / 2 }

// ARI returns the adjusted Rand index between two labelings of the same
// items (Hubert and Arabie's formula in Appendix C.1). Labels are arbitrary
// integers. Two labelings that each put everything in one cluster, the one
// case where the formula is 0/0, agree perfectly and score 1.
func ARI(a, b []int) (float64, error) {
	if len(a) != len(b) {
		return 0, fmt.Errorf("ARI: %d and %d labels", len(a), len(b))
	}
	if len(a) < 2 {
		return 0, fmt.Errorf("ARI needs at least 2 items, got %d", len(a))
	}
	type pair struct{ x, y int }
	joint := map[pair]int{}
	ca, cb := map[int]int{}, map[int]int{}
	for i := range a {
		joint[pair{a[i], b[i]}]++
		ca[a[i]]++
		cb[b[i]]++
	}
	var index, sa, sb float64
	for _, n := range joint {
		index += choose2(n)
	}
	for _, n := range ca {
		sa += choose2(n)
	}
	for _, n := range cb {
		sb += choose2(n)
	}
	expected := sa * sb / choose2(len(a))
	maxIndex := 0.5 * (sa + sb)
	if maxIndex == expected {
		return 1, nil
	}
	return (index - expected) / (maxIndex - expected), nil
}
