package experiments

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/stat"

	"github.com/nistgmm/nistgmm/federated/adversary"
	"github.com/nistgmm/nistgmm/federated/server"
	"github.com/nistgmm/nistgmm/internal/plural"
)

// SimCellKey identifies a cell of the simulation grid.
type SimCellKey struct {
	Failure  adversary.Failure
	Alpha    float64
	M, N     int
	MaxOmega float64
}

// SimSummaryRow is one method's quartiles in one cell over the repetitions.
type SimSummaryRow struct {
	SimCellKey
	Method     server.Method
	Reps       int
	W1, ARI    [3]float64 // first quartile, median, third quartile
	FlagRate   float64    // mean share of machines flagged
	CaughtRate float64    // mean share of Byzantine machines flagged (NaN without any)
}

func (r SimResult) key() SimCellKey {
	return SimCellKey{Failure: r.Failure, Alpha: r.Alpha, M: r.M, N: r.N, MaxOmega: r.MaxOmega}
}

// SummarizeSimulation computes the quartiles of W1 and ARI of every method
// in every cell, in the grid's order: failure kind as configured, then
// alpha, m, n, MaxOmega, then the methods in server.Methods() order.
func SummarizeSimulation(c SimConfig, reps []SimRep) []SimSummaryRow {
	type acc struct {
		w1, ari         []float64
		flag, caught    float64
		withByz, counts int
	}
	cells := map[SimCellKey]map[server.Method]*acc{}
	var keys []SimCellKey
	for _, rep := range reps {
		for _, r := range rep.Results {
			k := r.key()
			if cells[k] == nil {
				cells[k] = map[server.Method]*acc{}
				keys = append(keys, k)
			}
			for _, m := range r.Methods {
				a := cells[k][m.Method]
				if a == nil {
					a = &acc{}
					cells[k][m.Method] = a
				}
				a.w1 = append(a.w1, m.W1)
				a.ari = append(a.ari, m.ARI)
				a.flag += float64(m.Flagged) / float64(r.M)
				a.counts++
				if r.Byzantine > 0 {
					a.caught += float64(m.Caught) / float64(r.Byzantine)
					a.withByz++
				}
			}
		}
	}
	failureRank := map[adversary.Failure]int{}
	for i, f := range c.Failures {
		failureRank[f] = i
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		switch {
		case a.Failure != b.Failure:
			return failureRank[a.Failure] < failureRank[b.Failure]
		case a.Alpha != b.Alpha:
			return a.Alpha < b.Alpha
		case a.M != b.M:
			return a.M < b.M
		case a.N != b.N:
			return a.N < b.N
		}
		return a.MaxOmega < b.MaxOmega
	})
	var out []SimSummaryRow
	for _, k := range keys {
		for _, m := range server.Methods() {
			a := cells[k][m]
			if a == nil {
				continue
			}
			row := SimSummaryRow{SimCellKey: k, Method: m, Reps: len(a.w1), W1: Quartiles(a.w1), ARI: Quartiles(a.ari),
				FlagRate: a.flag / float64(a.counts), CaughtRate: math.NaN()}
			if a.withByz > 0 {
				row.CaughtRate = a.caught / float64(a.withByz)
			}
			out = append(out, row)
		}
	}
	return out
}

// Quartiles returns the first quartile, the median and the third quartile
// of v (linear interpolation between order statistics), as summary.csv
// and the tables report them. v is not modified.
func Quartiles(v []float64) [3]float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return [3]float64{stat.Quantile(0.25, stat.LinInterp, s, nil), stat.Quantile(0.5, stat.LinInterp, s, nil),
		stat.Quantile(0.75, stat.LinInterp, s, nil)}
}

func formatFloat(v float64) string { return strconv.FormatFloat(v, 'g', 8, 64) }

// SimSummaryColumns are the columns of summary.csv.
func SimSummaryColumns() []string {
	return []string{"failure", "alpha", "m", "n", "max_omega", "method", "reps",
		"w1_median", "w1_q1", "w1_q3", "ari_median", "ari_q1", "ari_q3"}
}

// WriteSimSummaryCSV writes summary.csv: one row per cell and method.
func WriteSimSummaryCSV(w io.Writer, rows []SimSummaryRow) error {
	cw := csv.NewWriter(w)
	cw.Write(SimSummaryColumns())
	for _, r := range rows {
		cw.Write([]string{string(r.Failure), formatFloat(r.Alpha), strconv.Itoa(r.M), strconv.Itoa(r.N), formatFloat(r.MaxOmega),
			string(r.Method), strconv.Itoa(r.Reps),
			formatFloat(r.W1[1]), formatFloat(r.W1[0]), formatFloat(r.W1[2]),
			formatFloat(r.ARI[1]), formatFloat(r.ARI[0]), formatFloat(r.ARI[2])})
	}
	cw.Flush()
	return cw.Error()
}

// WriteSimRepsCSV writes one row per repetition, cell and method.
func WriteSimRepsCSV(w io.Writer, reps []SimRep) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"rep", "failure", "alpha", "m", "n", "max_omega", "achieved_max_omega", "method", "w1", "ari",
		"flagged", "byzantine", "byzantine_caught"})
	for _, rep := range reps {
		achieved := map[float64]float64{}
		for _, t := range rep.Truths {
			achieved[t.Target] = t.MaxOmega
		}
		for _, r := range rep.Results {
			for _, m := range r.Methods {
				cw.Write([]string{strconv.Itoa(rep.Rep), string(r.Failure), formatFloat(r.Alpha), strconv.Itoa(r.M), strconv.Itoa(r.N),
					formatFloat(r.MaxOmega), formatFloat(achieved[r.MaxOmega]), string(m.Method), formatFloat(m.W1), formatFloat(m.ARI),
					strconv.Itoa(m.Flagged), strconv.Itoa(r.Byzantine), strconv.Itoa(m.Caught)})
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteSimMarkdown writes the summary as Markdown: for each failure kind a
// table of median W1 (and ARI) per cell and method, then ARED's detection.
func WriteSimMarkdown(w io.Writer, rows []SimSummaryRow, reps int, title, command string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", title)
	if command != "" {
		fmt.Fprintf(&b, "Command:\n\n```\n%s\n```\n\n", command)
	}
	fmt.Fprintf(&b, "Median W1 to the true mixing distribution (and median ARI against the truth's clustering) over %s; "+
		"quartiles in summary.csv.\n", plural.Count(reps, "repetition"))
	type cellRows struct {
		key  SimCellKey
		rows map[server.Method]SimSummaryRow
	}
	var cells []*cellRows
	index := map[SimCellKey]*cellRows{}
	for _, r := range rows {
		c := index[r.SimCellKey]
		if c == nil {
			c = &cellRows{key: r.SimCellKey, rows: map[server.Method]SimSummaryRow{}}
			index[r.SimCellKey] = c
			cells = append(cells, c)
		}
		c.rows[r.Method] = r
	}
	var failure adversary.Failure
	for _, c := range cells {
		if c.key.Failure != failure {
			failure = c.key.Failure
			fmt.Fprintf(&b, "\n## %s failure\n\n| α | m | n | MaxOmega |", failure)
			for _, m := range server.Methods() {
				fmt.Fprintf(&b, " %s |", DisplayName(m))
			}
			b.WriteString(" ARED flagged / caught |\n|---|---|---|---|")
			for range server.Methods() {
				b.WriteString("---|")
			}
			b.WriteString("---|\n")
		}
		k := c.key
		fmt.Fprintf(&b, "| %.1f | %d | %d | %.2f |", k.Alpha, k.M, k.N, k.MaxOmega)
		for _, m := range server.Methods() {
			r, ok := c.rows[m]
			if !ok {
				b.WriteString(" – |")
				continue
			}
			fmt.Fprintf(&b, " %.4g (%.3f) |", r.W1[1], r.ARI[1])
		}
		ared := c.rows[server.ARED]
		fmt.Fprintf(&b, " %.3f / %.3f |\n", ared.FlagRate, ared.CaughtRate)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
