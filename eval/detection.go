package eval

// Detection counts how well a method's flagged set matches the true
// Byzantine set.
type Detection struct {
	TruePositives  int // Byzantine and flagged
	FalsePositives int // honest but flagged
	FalseNegatives int // Byzantine but kept
}

// Detect compares flagged with byzantine (both index sets).
func Detect(flagged, byzantine []int) Detection {
	isByz := map[int]bool{}
	for _, b := range byzantine {
		isByz[b] = true
	}
	var d Detection
	seen := map[int]bool{}
	for _, f := range flagged {
		if seen[f] {
			continue
		}
		seen[f] = true
		if isByz[f] {
			d.TruePositives++
		} else {
			d.FalsePositives++
		}
	}
	d.FalseNegatives = len(isByz) - d.TruePositives
	return d
}

// Precision is the share of flagged machines that are Byzantine; 1 when
// nothing is flagged (no false alarm was raised).
func (d Detection) Precision() float64 {
	if d.TruePositives+d.FalsePositives == 0 {
		return 1
	}
	return float64(d.TruePositives) / float64(d.TruePositives+d.FalsePositives)
}

// Recall is the share of Byzantine machines flagged; 1 when there are none.
func (d Detection) Recall() float64 {
	if d.TruePositives+d.FalseNegatives == 0 {
		return 1
	}
	return float64(d.TruePositives) / float64(d.TruePositives+d.FalseNegatives)
}
