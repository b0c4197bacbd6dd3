package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/nistgmm/nistgmm/eval"
	"github.com/nistgmm/nistgmm/features"
	"github.com/nistgmm/nistgmm/federated"
	"github.com/nistgmm/nistgmm/internal/table2"
)

const distanceHelp = "distance choosing COAT and the balls: ise, kl or cs. Default kl: with ISE, " +
	"local fits of a few hundred points in d=50 are so peaked that their densities barely overlap, ISE " +
	"reduces to sqrt(||f_i||^2+||f_j||^2) and COAT picks the smoothest estimate, a Byzantine letters fit " +
	"(see README)"

// experimentFlags are the flags run and reproduce share.
type experimentFlags struct {
	features, distance, failure, model string
	machines, nTotal, lettersN         int
	restarts, workers                  int
	stratified                         bool
	seed                               uint64
	aredPower                          float64
	gmrStarts                          int
}

func (f *experimentFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.features, "features", "", "features folder from `nistgmm extract` (default: "+defaultFeatures+", extracting the built-in MNIST digits first if needed)")
	fs.StringVar(&f.model, "model", defaultModel, "ONNX model for the automatic extraction")
	fs.IntVar(&f.machines, "machines", 50, "number of machines m")
	fs.IntVar(&f.nTotal, "n-total", 25000, "training digits N drawn and split across the machines (the paper: 25,000)")
	fs.BoolVar(&f.stratified, "stratified", false, "give every machine equal counts of each digit")
	fs.StringVar(&f.distance, "distance", "kl", distanceHelp)
	fs.StringVar(&f.failure, "failure", "", "Byzantine failure: letters (default when letter features exist), mean, cov or weight")
	fs.IntVar(&f.lettersN, "letters-n", 5000, "letter features each Byzantine machine fits its mixture on")
	fs.Uint64Var(&f.seed, "seed", 1, "random seed: the same seed gives the same numbers")
	fs.IntVar(&f.restarts, "restarts", 10, "k-means++ initializations per local EM")
	fs.Float64Var(&f.aredPower, "ared-power", 0, "power of ARED's factor sqrt(0.5 log(m/2) log log m); 0: 1 for ise and kl (eq. 5), 2 for cs")
	fs.IntVar(&f.gmrStarts, "gmr-starts", 0, "extra GMR starting mixtures: the reduced estimates nearest to COAT (0: the paper's single start at COAT)")
	fs.IntVar(&f.workers, "workers", 0, "goroutines (0: one per core)")
}

// load reads the features, extracting the built-in MNIST digits first when
// no folder was given and the default one is empty.
func (f *experimentFlags) load(ctx context.Context) (*eval.Data, string, error) {
	dir := f.features
	if dir == "" {
		dir = defaultFeatures
		if _, err := os.Stat(filepath.Join(dir, "manifest.json")); errors.Is(err, os.ErrNotExist) {
			fmt.Fprintf(os.Stderr, "no features in %s: extracting the built-in MNIST digits with %s first\n", dir, f.model)
			if _, err := extract(ctx, features.Job{Out: dir}, f.model); err != nil {
				return nil, "", err
			}
		}
	}
	man, err := features.ReadManifest(dir)
	if err != nil {
		return nil, "", fmt.Errorf("%s is not a features folder (%w); make one with `nistgmm extract --out %s`", dir, err, dir)
	}
	d := &eval.Data{}
	if d.Train, d.TrainLabels, err = features.ReadSet(dir, features.DigitsTrain); err != nil {
		return nil, "", err
	}
	if d.Test, d.TestLabels, err = features.ReadSet(dir, features.DigitsTest); err != nil {
		return nil, "", err
	}
	if _, err := os.Stat(filepath.Join(dir, features.Letters+".npy")); err == nil {
		if d.Letters, _, err = features.ReadSet(dir, features.Letters); err != nil {
			return nil, "", err
		}
	}
	return d, dir + " (model " + man.ModelSHA256[:12] + ")", nil
}

func (f *experimentFlags) config(d *eval.Data) (eval.Config, error) {
	c := eval.NewConfig()
	c.Machines, c.NTotal, c.Stratified, c.LettersN = f.machines, f.nTotal, f.stratified, f.lettersN
	c.Seed, c.Restarts, c.Workers, c.AREDPower, c.GMRStarts = f.seed, f.restarts, f.workers, f.aredPower, f.gmrStarts
	var err error
	if c.Distance, err = federated.ParseDistance(f.distance); err != nil {
		return c, err
	}
	switch {
	case f.failure != "":
		if c.Failure, err = federated.ParseFailure(f.failure); err != nil {
			return c, err
		}
		if c.Failure == federated.Letters && d.Letters == nil {
			return c, errors.New("--failure letters needs letter features: extract them with `nistgmm extract --letters PATH --out DIR` and pass --features DIR")
		}
	case d.Letters != nil:
		c.Failure = federated.Letters
	default:
		c.Failure = federated.MeanFailure
		fmt.Fprintln(os.Stderr, "note: these features have no letters, so Byzantine machines use the mean failure "+
			"(Section 5.1) instead of the paper's letters; extract letters with --letters to use those")
	}
	return c, nil
}

// prepare loads the features and builds a checked configuration.
func (f *experimentFlags) prepare(ctx context.Context, alphas []float64) (*eval.Data, eval.Config, string, error) {
	d, source, err := f.load(ctx)
	if err != nil {
		return nil, eval.Config{}, "", err
	}
	c, err := f.config(d)
	if err != nil {
		return nil, c, "", err
	}
	c.Alphas = alphas
	if err := c.Check(d); err != nil {
		return nil, c, "", err
	}
	return d, c, source, nil
}

func cmdRun(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	var ef experimentFlags
	ef.register(fs)
	alpha := fs.Float64("alpha", 0.2, "share of Byzantine machines, in [0, 0.5)")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	d, c, source, err := ef.prepare(ctx, []float64{*alpha})
	if err != nil {
		return err
	}
	bar, add := newBar(table2.StepsPerRep(c), "fitting and aggregating")
	res, err := eval.RunRepetition(ctx, d, c, 0, func() { add(1) })
	bar.Finish()
	if err != nil {
		return err
	}
	a := res.Alphas[0]
	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Config eval.Config      `json:"config"`
			Source string           `json:"features"`
			Result eval.AlphaResult `json:"result"`
			Timing eval.Timing      `json:"timing"`
		}{c, source, a, res.Timing})
	}
	fmt.Printf("features %s\n", source)
	fmt.Printf("m=%d, N=%d (n=%d per machine), alpha=%.2f: %d Byzantine (%s failure), distance %s, seed %d\n",
		c.Machines, c.NTotal, c.NTotal/c.Machines, *alpha, len(a.Byzantine), c.Failure, c.Distance, c.Seed)
	coat := "honest"
	if a.CoatByzantine {
		coat = "BYZANTINE"
	}
	fmt.Printf("COAT is machine m%02d (%s); distances took %.2fs\n\n", a.Coat, coat, a.DistanceSeconds)
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "method\tARI\tkept\tByzantine caught\tmissed\tseconds\t")
	for _, m := range a.Methods {
		fmt.Fprintf(tw, "%s\t%.4f\t%d\t%d\t%d\t%.2f\t\n", m.Method, m.ARI, len(m.Kept), m.Caught, m.Missed, m.Seconds)
	}
	tw.Flush()
	fmt.Printf("\nlocal fits %.1fs, Byzantine fits %.1fs, aggregation and scoring %.1fs\n",
		res.Timing.HonestFits, res.Timing.LetterFits, res.Timing.Aggregation)
	return nil
}

func parseAlphas(s string) ([]float64, error) {
	var out []float64
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil {
			return nil, fmt.Errorf("--alphas: %q is not a number", f)
		}
		out = append(out, v)
	}
	return out, nil
}

func cmdReproduce(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("reproduce", flag.ContinueOnError)
	var ef experimentFlags
	ef.register(fs)
	reps := fs.Int("reps", 300, "repetitions")
	alphas := fs.String("alphas", "0,0.1,0.2,0.3,0.4", "failure rates")
	out := fs.String("out", "", "output folder (default results/<distance>-n<N/m>); it also holds the checkpoint to resume from")
	parallel := fs.Int("parallel", runtime.GOMAXPROCS(0), "repetitions run at once")
	title := fs.String("title", "", "title of table2.md and the plot")
	if err := fs.Parse(args); err != nil {
		return err
	}
	as, err := parseAlphas(*alphas)
	if err != nil {
		return err
	}
	d, c, source, err := ef.prepare(ctx, as)
	if err != nil {
		return err
	}
	if *out == "" {
		*out = filepath.Join("results", fmt.Sprintf("%s-n%d", c.Distance, c.NTotal/c.Machines))
	}
	if *title == "" {
		*title = fmt.Sprintf("Table 2: %s distance, m=%d, n=%d per machine, %s failures", c.Distance, c.Machines, c.NTotal/c.Machines, c.Failure)
	}
	setup := table2.Setup{Config: c, Reps: *reps, Features: source}
	done := table2.Finished(*out, setup)
	if done > 0 {
		fmt.Fprintf(os.Stderr, "resuming: %d of %d repetitions already in %s\n", done, *reps, *out)
	}
	bar, add := newBar((*reps-done)*table2.StepsPerRep(c), fmt.Sprintf("%d repetitions", *reps-done))
	results, err := table2.Reproduce(ctx, d, setup, *out, table2.Options{Parallel: *parallel, Step: func() { add(1) }})
	bar.Finish()
	if err != nil {
		if errors.Is(err, context.Canceled) {
			fmt.Fprintf(os.Stderr, "stopped after %d repetitions; run the same command again to resume\n", len(results))
		}
		return err
	}
	command := "nistgmm " + strings.Join(os.Args[1:], " ")
	rows := table2.Summarize(results, c.Machines)
	if err := features.WriteFileAtomic(filepath.Join(*out, "table2.md"), func(w io.Writer) error {
		return table2.WriteMarkdown(w, rows, len(results), *title, command)
	}); err != nil {
		return err
	}
	if err := features.WriteFileAtomic(filepath.Join(*out, "table2.csv"), func(w io.Writer) error { return table2.WriteCSV(w, results) }); err != nil {
		return err
	}
	if err := table2.Plot(filepath.Join(*out, "table2.png"), results, *title); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(*out, "command.txt"), []byte(command+"\n"), 0o644); err != nil {
		return err
	}
	table2.WriteMarkdown(os.Stdout, rows, len(results), *title, "")
	t := table2.MeanTiming(results)
	fmt.Printf("\nmean seconds per repetition (one goroutine each, %d at once): local fits %.1f, Byzantine fits %.1f, aggregation %.1f, total %.1f\n",
		*parallel, t.HonestFits, t.LetterFits, t.Aggregation, t.Total)
	fmt.Printf("wrote table2.md, table2.csv, table2.png and command.txt in %s\n", *out)
	return nil
}
