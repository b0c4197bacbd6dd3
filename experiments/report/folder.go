package report

import (
	"bufio"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/nistgmm/nistgmm/experiments"
	"github.com/nistgmm/nistgmm/experiments/plots"
	"github.com/nistgmm/nistgmm/federated/estimates"
	"github.com/nistgmm/nistgmm/internal/atomicfile"
	"github.com/nistgmm/nistgmm/internal/plural"
)

// Output is one file an experiment writes into its folder: a text written
// through a writer (atomically) or a plot saved at a path.
type Output struct {
	Name  string
	Text  func(io.Writer) error
	Image func(path string) error
}

// WriteFolder writes the outputs and command.txt in dir, in order, and
// says so on log.
func WriteFolder(dir, command string, outs []Output, log io.Writer) error {
	var names []string
	for _, o := range outs {
		path := filepath.Join(dir, o.Name)
		var err error
		if o.Text != nil {
			err = atomicfile.WriteFile(path, o.Text)
		} else {
			err = o.Image(path)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		names = append(names, o.Name)
	}
	if err := WriteCommand(dir, command); err != nil {
		return err
	}
	fmt.Fprintf(log, "wrote %s and command.txt in %s\n", strings.Join(names, ", "), dir)
	return nil
}

// WriteCommand writes command.txt, the command that made dir's contents.
func WriteCommand(dir, command string) error {
	return atomicfile.WriteFile(filepath.Join(dir, "command.txt"), func(w io.Writer) error {
		_, err := io.WriteString(w, command+"\n")
		return err
	})
}

// Folder is runs/<name>-<hash of what the run computes>: the same
// command always resumes its own folder, and two experiments never share
// one.
func Folder(name string, setup any) string {
	b, _ := json.Marshal(setup)
	sum := sha256.Sum256(b)
	return filepath.Join("runs", fmt.Sprintf("%s-%x", name, sum[:4]))
}

// Table2Folder names a reproduction's output folder after its
// configuration, so that two different experiments never share a
// checkpoint and the same command always resumes its own.
func Table2Folder(setup experiments.Table2Setup) string {
	s := setup
	s.Reps, s.Config.Workers = 0, 0
	c := setup.Config
	return Folder(fmt.Sprintf("%s-n%d-%s", c.Distance, c.NTotal/c.Machines, c.Failure), s)
}

// SimFolder names a simulation study's output folder after its grid, so
// that the same command always resumes its own checkpoint.
func SimFolder(setup experiments.SimSetup) string {
	s := setup
	s.Reps, s.Config.Workers = 0, 0
	name := "sim"
	if setup.Config.Figure != 0 {
		name = fmt.Sprintf("sim-fig%d", setup.Config.Figure)
	}
	return Folder(name, s)
}

// WriteTable2 writes table2.md, table2.csv, table2.png and command.txt in
// dir, prints the table on stdout and the mean times (parallel
// repetitions at once) on stderr.
func WriteTable2(dir string, setup experiments.Table2Setup, results []experiments.Table2Rep, title, command string, parallel int, stdout, stderr io.Writer) error {
	c := setup.Config
	if title == "" {
		title = fmt.Sprintf("Table 2: %s distance, m=%d, n=%d per machine, %s failures", c.Distance, c.Machines, c.NTotal/c.Machines, c.Failure)
	}
	rows := experiments.SummarizeTable2(results, c.Machines)
	experiments.WriteTable2Markdown(stdout, rows, len(results), title, "")
	t := experiments.MeanTable2Timing(results)
	fmt.Fprintf(stderr, "\nmean seconds per repetition (one goroutine each, %d at once): local fits %.1f, Byzantine fits %.1f, aggregation %.1f, total %.1f\n",
		parallel, t.HonestFits, t.LetterFits, t.Aggregation, t.Total)
	return WriteFolder(dir, command, []Output{
		{Name: "table2.md", Text: func(w io.Writer) error { return experiments.WriteTable2Markdown(w, rows, len(results), title, command) }},
		{Name: "table2.csv", Text: func(w io.Writer) error { return experiments.WriteTable2CSV(w, results) }},
		{Name: "table2.png", Image: func(path string) error { return plots.PlotTable2(path, results, title) }},
	}, stderr)
}

// WriteSimulation writes summary.csv, reps.csv, summary.md, w1.png,
// ari.png (and their zooms) and command.txt in dir, prints the Markdown
// summary on stdout and the mean times on stderr.
func WriteSimulation(dir string, setup experiments.SimSetup, results []experiments.SimRep, title, command string, parallel int, stdout, stderr io.Writer) error {
	c := setup.Config
	if title == "" {
		title = "Simulation study"
		if c.Figure != 0 {
			title = fmt.Sprintf("Figure %d (ARI: Figure %d)", c.Figure, c.Figure+5)
		}
		title += fmt.Sprintf(": d=%d, K=%d, %s distance, %s", c.Dim, c.K, c.Distance, plural.Count(len(results), "repetition"))
	}
	rows := experiments.SummarizeSimulation(c, results)
	outs := []Output{
		{Name: "summary.csv", Text: func(w io.Writer) error { return experiments.WriteSimSummaryCSV(w, rows) }},
		{Name: "reps.csv", Text: func(w io.Writer) error { return experiments.WriteSimRepsCSV(w, results) }},
		{Name: "summary.md", Text: func(w io.Writer) error { return experiments.WriteSimMarkdown(w, rows, len(results), title, command) }},
	}
	for _, m := range []plots.SimMetric{plots.MetricW1, plots.MetricARI} {
		name := strings.ToUpper(string(m))
		outs = append(outs,
			Output{Name: string(m) + ".png", Image: func(path string) error {
				return plots.PlotSimulation(path, c, results, m, title+": "+name)
			}},
			Output{Name: string(m) + "-zoom.png", Image: func(path string) error {
				return plots.PlotSimulationZoom(path, c, results, m, title+": "+name+", zoom on the methods near the best")
			}})
	}
	if err := WriteFolder(dir, command, outs, stderr); err != nil {
		return err
	}
	experiments.WriteSimMarkdown(stdout, rows, len(results), title, "")
	var fit, agg float64
	for _, r := range results {
		fit += r.FitSeconds
		agg += r.AggregationSeconds
	}
	n := float64(max(len(results), 1))
	fmt.Fprintf(stderr, "\nmean seconds per repetition (one goroutine each, %d at once): local fits %.1f, aggregation and scoring %.1f\n",
		parallel, fit/n, agg/n)
	return nil
}

// WriteScale writes scale.csv, scale.md, scale.png and command.txt in dir
// and prints the Markdown table on stdout.
func WriteScale(dir string, c experiments.ScaleConfig, rows []experiments.ScaleRow, command string, stdout, stderr io.Writer) error {
	title := fmt.Sprintf("ARED against m (K = %d, d = %d, n = %d, alpha = %.2f)", c.K, c.Dim, c.N, c.Alpha)
	experiments.WriteScaleMarkdown(stdout, c, rows, "")
	return WriteFolder(dir, command, []Output{
		{Name: "scale.csv", Text: func(w io.Writer) error { return experiments.WriteScaleCSV(w, rows) }},
		{Name: "scale.md", Text: func(w io.Writer) error { return experiments.WriteScaleMarkdown(w, c, rows, command) }},
		{Name: "scale.png", Image: func(path string) error { return plots.PlotScale(path, rows, title) }},
	}, stderr)
}

// WriteScaleEstimates writes one m's estimates and the ids of its
// Byzantine machines (one per line) in dir.
func WriteScaleEstimates(dir string, m int, ests []estimates.Estimate, byz []int) error {
	name := filepath.Join(dir, fmt.Sprintf("estimates-m%d.json", m))
	if err := atomicfile.WriteFile(name, func(w io.Writer) error {
		bw := bufio.NewWriterSize(w, 1<<20)
		if err := estimates.EncodeEstimates(bw, ests); err != nil {
			return err
		}
		return bw.Flush()
	}); err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(dir, fmt.Sprintf("byzantine-m%d.txt", m)), func(w io.Writer) error {
		for _, b := range byz {
			if _, err := fmt.Fprintln(w, ests[b].ID); err != nil {
				return err
			}
		}
		return nil
	})
}
