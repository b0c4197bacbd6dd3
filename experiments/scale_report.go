package experiments

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// WriteScaleCSV writes one row per m.
func WriteScaleCSV(w io.Writer, rows []ScaleRow) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"m", "reps", "seconds", "peak_heap_mib", "recall", "honest_flagged", "w1", "centre_search",
		"exact_seconds", "exact_w1", "w1_ratio", "w1_ratio_max"})
	f := func(v float64, prec int) string { return strconv.FormatFloat(v, 'f', prec, 64) }
	for _, r := range rows {
		cw.Write([]string{strconv.Itoa(r.M), strconv.Itoa(r.Reps), f(r.Seconds, 3), f(float64(r.PeakHeapBytes)/(1<<20), 1),
			f(r.Recall, 4), f(r.HonestFlagged, 4), strconv.FormatFloat(r.W1, 'g', 6, 64), r.CentreSearch,
			f(r.ExactSeconds, 3), strconv.FormatFloat(r.ExactW1, 'g', 6, 64), f(r.W1Ratio, 4), f(r.W1RatioMax, 4)})
	}
	cw.Flush()
	return cw.Error()
}

// WriteScaleMarkdown writes the measurement as a table, with the growth
// exponent between consecutive m (log time ratio over log m ratio).
func WriteScaleMarkdown(w io.Writer, c ScaleConfig, rows []ScaleRow, command string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# ARED against the number of machines (K = %d, d = %d, n = %d, alpha = %.2f, %s failure)\n\n", c.K, c.Dim, c.N, c.Alpha, c.Failure)
	if command != "" {
		fmt.Fprintf(&b, "Command:\n\n```\n%s\n```\n\n", command)
	}
	if max(c.Reps, 1) > 1 {
		fmt.Fprintf(&b, "Medians over %d rounds per m (peak heap: the largest; detection: means).\n\n", c.Reps)
	}
	b.WriteString("| m | seconds | growth exponent | peak heap (MiB) | recall | honest flagged | W1 to the truth | centre search |")
	if c.CompareExact {
		b.WriteString(" exact search: seconds | exact search: W1 | W1 ratio (median) | W1 ratio (largest) |")
	}
	b.WriteString("\n|---|---|---|---|---|---|---|---|")
	if c.CompareExact {
		b.WriteString("---|---|---|---|")
	}
	b.WriteString("\n")
	for i, r := range rows {
		exp := "–"
		if i > 0 && rows[i-1].Seconds > 0 && r.M > rows[i-1].M {
			exp = fmt.Sprintf("%.2f", math.Log(r.Seconds/rows[i-1].Seconds)/math.Log(float64(r.M)/float64(rows[i-1].M)))
		}
		search, _, _ := strings.Cut(r.CentreSearch, ";")
		fmt.Fprintf(&b, "| %d | %.2f | %s | %.1f | %.3f | %.3f | %.4g | %s |", r.M, r.Seconds, exp, float64(r.PeakHeapBytes)/(1<<20), r.Recall, r.HonestFlagged, r.W1, search)
		if c.CompareExact {
			fmt.Fprintf(&b, " %.2f | %.4g | %.3f | %.3f |", r.ExactSeconds, r.ExactW1, r.W1Ratio, r.W1RatioMax)
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
