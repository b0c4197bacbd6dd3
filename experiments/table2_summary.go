package experiments

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/nistgmm/nistgmm/eval"
	"github.com/nistgmm/nistgmm/federated/server"
	"github.com/nistgmm/nistgmm/internal/plural"
)

// Cell is the median and interquartile range of one method's ARI at one
// alpha over the repetitions.
type Cell struct {
	Median, IQR float64
	N           int
}

// AlphaSummary is one row of Table 2 plus ARED's detection.
type AlphaSummary struct {
	Alpha float64
	Cells map[server.Method]Cell
	// AREDFlagRate is the mean share of machines ARED flagged: the paper's
	// "detected failure rate", to compare with alpha.
	AREDFlagRate  float64
	AREDPrecision float64 // mean over repetitions
	AREDRecall    float64
	// AREDHonestFlagRate is the mean share of honest machines ARED flagged.
	AREDHonestFlagRate float64
	CoatByzantineRate  float64
	// SeparabilityAUC is the mean ROC AUC of the distance to COAT as a
	// score for "is Byzantine", over the repetitions where it is defined
	// (NaN at alpha = 0).
	SeparabilityAUC float64
}

// SummarizeTable2 computes Table 2 from the repetitions.
func SummarizeTable2(reps []Table2Rep, machines int) []AlphaSummary {
	type acc struct {
		ari             map[server.Method][]float64
		flag, prec, rec float64
		honestFlag      float64
		coat            float64
		auc             float64
		nAUC            int
		n               int
	}
	byAlpha := map[float64]*acc{}
	var alphas []float64
	for _, r := range reps {
		for _, a := range r.Alphas {
			s, ok := byAlpha[a.Alpha]
			if !ok {
				s = &acc{ari: map[server.Method][]float64{}}
				byAlpha[a.Alpha] = s
				alphas = append(alphas, a.Alpha)
			}
			s.n++
			if a.CoatByzantine {
				s.coat++
			}
			if a.SeparabilityAUC != nil {
				s.auc += *a.SeparabilityAUC
				s.nAUC++
			}
			for _, m := range a.Methods {
				s.ari[m.Method] = append(s.ari[m.Method], m.ARI)
				if m.Method == server.ARED {
					s.flag += float64(len(m.Flagged)) / float64(machines)
					det := eval.Detect(m.Flagged, a.Byzantine)
					s.prec += det.Precision()
					s.rec += det.Recall()
					if honest := machines - len(a.Byzantine); honest > 0 {
						s.honestFlag += float64(det.FalsePositives) / float64(honest)
					}
				}
			}
		}
	}
	sort.Float64s(alphas)
	var out []AlphaSummary
	for _, alpha := range alphas {
		s := byAlpha[alpha]
		row := AlphaSummary{Alpha: alpha, Cells: map[server.Method]Cell{}}
		for m, v := range s.ari {
			q := Quartiles(v)
			row.Cells[m] = Cell{Median: q[1], IQR: q[2] - q[0], N: len(v)}
		}
		n := float64(s.n)
		row.AREDFlagRate, row.AREDPrecision, row.AREDRecall = s.flag/n, s.prec/n, s.rec/n
		row.CoatByzantineRate = s.coat / n
		row.AREDHonestFlagRate = s.honestFlag / n
		row.SeparabilityAUC = math.NaN()
		if s.nAUC > 0 {
			row.SeparabilityAUC = s.auc / float64(s.nAUC)
		}
		out = append(out, row)
	}
	return out
}

// WriteTable2Markdown writes Table 2 in the paper's layout, then the detection
// table. title heads the file; command is the exact command that made it.
func WriteTable2Markdown(w io.Writer, rows []AlphaSummary, reps int, title, command string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", title)
	if command != "" {
		fmt.Fprintf(&b, "Command:\n\n```\n%s\n```\n\n", command)
	}
	fmt.Fprintf(&b, "Median (IQR) ARI on the digits test set over %s.\n\n", plural.Count(reps, "repetition"))
	b.WriteString("| α |")
	for _, m := range server.Methods() {
		fmt.Fprintf(&b, " %s |", DisplayName(m))
	}
	b.WriteString("\n|---|")
	for range server.Methods() {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %.1f |", r.Alpha)
		for _, m := range server.Methods() {
			c, ok := r.Cells[m]
			if !ok {
				b.WriteString(" – |")
				continue
			}
			fmt.Fprintf(&b, " %.4f (%.4f) |", c.Median, c.IQR)
		}
		b.WriteString("\n")
	}
	b.WriteString("\nARED's detection, COAT's honesty and the separability of Byzantine from honest machines by their " +
		"distance to COAT (ROC AUC; 1: every Byzantine farther than every honest one), averaged over repetitions:\n\n")
	b.WriteString("| α | ARED flagged share (paper: ≈ α) | ARED precision | ARED recall | honest flagged by ARED | COAT Byzantine | separability AUC |\n|---|---|---|---|---|---|---|\n")
	for _, r := range rows {
		auc := "–"
		if !math.IsNaN(r.SeparabilityAUC) {
			auc = fmt.Sprintf("%.4f", r.SeparabilityAUC)
		}
		fmt.Fprintf(&b, "| %.1f | %.4f | %.4f | %.4f | %.4f | %.4f | %s |\n", r.Alpha, r.AREDFlagRate, r.AREDPrecision, r.AREDRecall,
			r.AREDHonestFlagRate, r.CoatByzantineRate, auc)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// DisplayName is a method's name in the tables and plots: Oracle, and the
// others in capitals (ARED, CRED, TRIM, COAT, GMR).
func DisplayName(m server.Method) string {
	if m == server.Oracle {
		return "Oracle"
	}
	return strings.ToUpper(string(m))
}

// WriteTable2CSV writes one row per repetition, alpha and method; machines
// are named as everywhere else (m00, m01, ...).
func WriteTable2CSV(w io.Writer, reps []Table2Rep) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"rep", "alpha", "method", "ari", "kept", "flagged", "byzantine", "byzantine_caught", "byzantine_missed",
		"honest_flagged", "coat", "coat_byzantine", "separability_auc"})
	ids := func(v []int) string {
		s := make([]string, len(v))
		for i, x := range v {
			s[i] = MachineName(x)
		}
		return strings.Join(s, " ")
	}
	for _, r := range reps {
		for _, a := range r.Alphas {
			auc := ""
			if a.SeparabilityAUC != nil {
				auc = strconv.FormatFloat(*a.SeparabilityAUC, 'f', 6, 64)
			}
			for _, m := range a.Methods {
				cw.Write([]string{strconv.Itoa(r.Rep), strconv.FormatFloat(a.Alpha, 'f', -1, 64), string(m.Method),
					strconv.FormatFloat(m.ARI, 'f', 6, 64), ids(m.Kept), ids(m.Flagged), ids(a.Byzantine),
					strconv.Itoa(m.Caught), strconv.Itoa(m.Missed), strconv.Itoa(m.HonestFlagged), MachineName(a.Coat),
					strconv.FormatBool(a.CoatByzantine), auc})
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

// TimingSummary is the mean cost of a repetition, in seconds.
type TimingSummary struct {
	HonestFits, LetterFits, Aggregation, Total float64
}

// MeanTable2Timing averages the repetitions' timings.
func MeanTable2Timing(reps []Table2Rep) TimingSummary {
	var t TimingSummary
	for _, r := range reps {
		t.HonestFits += r.Timing.HonestFits
		t.LetterFits += r.Timing.LetterFits
		t.Aggregation += r.Timing.Aggregation
	}
	n := math.Max(1, float64(len(reps)))
	t.HonestFits /= n
	t.LetterFits /= n
	t.Aggregation /= n
	t.Total = t.HonestFits + t.LetterFits + t.Aggregation
	return t
}
