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
	"github.com/nistgmm/nistgmm/federated/adversary"
	"github.com/nistgmm/nistgmm/federated/server"
)

// AttackRow summarizes one attack at one alpha over the repetitions:
// ARED's margin to the Oracle (median and worst), every method's median
// ARI, ARED's detection and how often COAT was Byzantine.
type AttackRow struct {
	Attack     adversary.Failure
	ByzantineN int // the reported sample size of the Byzantine machines; 0 for their own
	Alpha      float64
	Reps       int
	// AREDMinusOracle is the median and the worst (lowest) over repetitions
	// of ARED's ARI minus the Oracle's.
	AREDMinusOracleMedian, AREDMinusOracleWorst float64
	Median                                      map[server.Method]float64
	AREDRecall, AREDHonestFlagRate              float64
	CoatByzantineRate                           float64
}

// SummarizeAttack computes the rows of one attack's run.
func SummarizeAttack(c Table2Config, reps []Table2Rep) []AttackRow {
	byAlpha := map[float64][]AlphaResult{}
	var alphas []float64
	for _, r := range reps {
		for _, a := range r.Alphas {
			if _, ok := byAlpha[a.Alpha]; !ok {
				alphas = append(alphas, a.Alpha)
			}
			byAlpha[a.Alpha] = append(byAlpha[a.Alpha], a)
		}
	}
	sort.Float64s(alphas)
	var out []AttackRow
	for _, alpha := range alphas {
		row := AttackRow{Attack: c.Failure, ByzantineN: c.ByzantineN, Alpha: alpha, Median: map[server.Method]float64{},
			AREDMinusOracleWorst: math.Inf(1)}
		ari := map[server.Method][]float64{}
		var margins []float64
		for _, a := range byAlpha[alpha] {
			row.Reps++
			byMethod := map[server.Method]MethodResult{}
			for _, m := range a.Methods {
				byMethod[m.Method] = m
				ari[m.Method] = append(ari[m.Method], m.ARI)
			}
			margin := byMethod[server.ARED].ARI - byMethod[server.Oracle].ARI
			margins = append(margins, margin)
			row.AREDMinusOracleWorst = math.Min(row.AREDMinusOracleWorst, margin)
			det := eval.Detect(byMethod[server.ARED].Flagged, a.Byzantine)
			row.AREDRecall += det.Recall()
			if honest := c.Machines - len(a.Byzantine); honest > 0 {
				row.AREDHonestFlagRate += float64(det.FalsePositives) / float64(honest)
			}
			if a.CoatByzantine {
				row.CoatByzantineRate++
			}
		}
		n := float64(row.Reps)
		row.AREDRecall /= n
		row.AREDHonestFlagRate /= n
		row.CoatByzantineRate /= n
		row.AREDMinusOracleMedian = Quartiles(margins)[1]
		for m, v := range ari {
			row.Median[m] = Quartiles(v)[1]
		}
		out = append(out, row)
	}
	return out
}

func reportedN(n int) string {
	if n == 0 {
		return "own"
	}
	return strconv.Itoa(n)
}

// WriteAttackMarkdown writes the attack table.
func WriteAttackMarkdown(w io.Writer, rows []AttackRow, command string) error {
	var b strings.Builder
	b.WriteString("# ARED against adaptive attacks\n\n")
	if command != "" {
		fmt.Fprintf(&b, "Command:\n\n```\n%s\n```\n\n", command)
	}
	b.WriteString("ARI on the digits test set; Δ = ARED − Oracle per repetition (median and worst); other columns are medians, " +
		"ARED's recall and honest-flagged share and COAT's Byzantine share are means over repetitions.\n\n")
	b.WriteString("| attack | Byzantine n | α | reps | Δ median | Δ worst | Oracle | ARED | CRED | COAT | GMR | TRIM | ARED recall | honest flagged | COAT Byzantine |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s | %.1f | %d | %+.4f | %+.4f |", r.Attack, reportedN(r.ByzantineN), r.Alpha, r.Reps,
			r.AREDMinusOracleMedian, r.AREDMinusOracleWorst)
		for _, m := range []server.Method{server.Oracle, server.ARED, server.CRED, server.COAT, server.GMR, server.TRIM} {
			fmt.Fprintf(&b, " %.4f |", r.Median[m])
		}
		fmt.Fprintf(&b, " %.2f | %.3f | %.2f |\n", r.AREDRecall, r.AREDHonestFlagRate, r.CoatByzantineRate)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteAttackCSV writes the attack table as CSV.
func WriteAttackCSV(w io.Writer, rows []AttackRow) error {
	cw := csv.NewWriter(w)
	methods := []server.Method{server.Oracle, server.ARED, server.CRED, server.COAT, server.GMR, server.TRIM}
	head := []string{"attack", "byzantine_n", "alpha", "reps", "ared_minus_oracle_median", "ared_minus_oracle_worst"}
	for _, m := range methods {
		head = append(head, string(m)+"_median")
	}
	cw.Write(append(head, "ared_recall", "ared_honest_flagged", "coat_byzantine"))
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', 6, 64) }
	for _, r := range rows {
		rec := []string{string(r.Attack), reportedN(r.ByzantineN), strconv.FormatFloat(r.Alpha, 'f', -1, 64), strconv.Itoa(r.Reps),
			f(r.AREDMinusOracleMedian), f(r.AREDMinusOracleWorst)}
		for _, m := range methods {
			rec = append(rec, f(r.Median[m]))
		}
		cw.Write(append(rec, f(r.AREDRecall), f(r.AREDHonestFlagRate), f(r.CoatByzantineRate)))
	}
	cw.Flush()
	return cw.Error()
}
