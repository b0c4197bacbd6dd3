package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"github.com/nistgmm/nistgmm/experiments"
	"github.com/nistgmm/nistgmm/experiments/report"
	"github.com/nistgmm/nistgmm/federated/divergence"
	"github.com/nistgmm/nistgmm/federated/estimates"
	"github.com/nistgmm/nistgmm/internal/atomicfile"
)

func cmdRun(ctx context.Context, args []string) error {
	fs := newFlagSet("run", "[--alpha 0.2] [flags]")
	var ef experimentFlags
	ef.register(fs)
	alpha := fs.Float64("alpha", 0.2, "share of Byzantine machines, in [0, 0.5)")
	asJSON := fs.Bool("json", false, "print the result as JSON (and nothing else) on stdout")
	estimatesOut := fs.String("estimates-out", "", "also write the round's estimates (honest and Byzantine, as the server received them) to this file, for 'nistgmm aggregate'")
	allDistances := fs.Bool("separability", false, "also report, for every distance, how well the distance to COAT separates Byzantine from honest machines (ROC AUC)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if !(*alpha >= 0 && *alpha < 0.5) {
		return fmt.Errorf("--alpha %v: want a share of Byzantine machines in [0, 0.5)", *alpha)
	}
	d, c, source, err := ef.loadChecked(ctx, []float64{*alpha})
	if err != nil {
		return err
	}
	c.AllDistances = *allDistances
	bar, add := newWorkBar("fitting and aggregating", 1, experiments.Table2Work(c))
	res, err := experiments.RunTable2Repetition(ctx, d, c, 0, add)
	bar.Finish()
	if err != nil {
		return err
	}
	a := res.Alphas[0]
	if *estimatesOut != "" {
		if err := atomicfile.WriteFile(*estimatesOut, func(w io.Writer) error { return estimates.EncodeEstimates(w, a.Estimates) }); err != nil {
			return fmt.Errorf("--estimates-out: %w", err)
		}
	}
	for _, m := range a.Methods {
		if m.Warning != "" {
			fmt.Fprintf(os.Stderr, "warning (%s): %s\n", m.Method, m.Warning)
		}
	}
	if *asJSON {
		doc, err := report.RunJSON(c, ef.loadedDir, ef.loadedModel, a, res.Timing)
		if err != nil {
			return err
		}
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(doc)
	}
	fmt.Printf("features %s\n", source)
	fmt.Printf("m=%d, N=%d (n=%d per machine), alpha=%.2f: %d Byzantine (%s failure), distance %s, ARED radius %s, seed %d\n",
		c.Machines, c.NTotal, c.NTotal/c.Machines, *alpha, len(a.Byzantine), c.Failure, c.Distance, c.Radius, c.Seed)
	coat := "honest"
	if a.CoatByzantine {
		coat = "BYZANTINE"
	}
	fmt.Printf("COAT is machine %s (%s); distances took %.2fs", experiments.MachineName(a.Coat), coat, a.DistanceSeconds)
	if a.SeparabilityAUC != nil {
		fmt.Printf("; separability AUC of the distance to COAT %.3f (1: every Byzantine farther than every honest machine)", *a.SeparabilityAUC)
	}
	fmt.Println()
	if len(a.SeparabilityByDistance) > 0 {
		fmt.Print("separability AUC by distance:")
		for _, d := range divergence.Distances() {
			for _, name := range []string{string(d), string(d) + "-column"} {
				if v, ok := a.SeparabilityByDistance[name]; ok {
					fmt.Printf(" %s %.3f", name, v)
				}
			}
		}
		fmt.Println()
	}
	if a.Attack != nil {
		fmt.Printf("%s attack: %s\n", a.Attack.Kind, a.Attack.Detail)
	}
	fmt.Println()
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "method\tARI\tkept\tByzantine caught\tmissed\thonest flagged\tseconds\t")
	for _, m := range a.Methods {
		fmt.Fprintf(tw, "%s\t%.4f\t%d\t%d\t%d\t%d\t%.2f\t\n", m.Method, m.ARI, len(m.Kept), m.Caught, m.Missed, m.HonestFlagged, m.Seconds)
	}
	tw.Flush()
	fmt.Printf("\nCOAT and GMR judge no machine: COAT sends one estimate and GMR reduces all of them, so their " +
		"\"caught 0\" is not a detection failure. Oracle is told the Byzantine set.\n")
	fmt.Printf("local fits %.1fs, Byzantine fits %.1fs, aggregation and scoring %.1fs\n",
		res.Timing.HonestFits, res.Timing.LetterFits, res.Timing.Aggregation)
	return nil
}
