package eval

import "sort"

// SeparabilityAUC is the area under the ROC curve of score as a test for
// positive: the probability that a random positive scores above a random
// negative, ties counting one half (the Mann-Whitney statistic). 1 means
// every positive scores above every negative, 0.5 no better than chance.
// ok is false when there is no positive or no negative.
func SeparabilityAUC(score []float64, positive []bool) (auc float64, ok bool) {
	type item struct {
		s   float64
		pos bool
	}
	items := make([]item, len(score))
	var np, nn float64
	for i, s := range score {
		items[i] = item{s, positive[i]}
		if positive[i] {
			np++
		} else {
			nn++
		}
	}
	if np == 0 || nn == 0 {
		return 0, false
	}
	sort.Slice(items, func(a, b int) bool { return items[a].s < items[b].s })
	// Sum of the positives' mid-ranks.
	var rankSum float64
	for i := 0; i < len(items); {
		j := i + 1
		for j < len(items) && items[j].s == items[i].s {
			j++
		}
		mid := float64(i+j+1) / 2 // ranks i+1..j
		for _, it := range items[i:j] {
			if it.pos {
				rankSum += mid
			}
		}
		i = j
	}
	return (rankSum - np*(np+1)/2) / (np * nn), true
}
