package main

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/nistgmm/nistgmm/experiments"
	"github.com/nistgmm/nistgmm/features"
	"github.com/nistgmm/nistgmm/federated/adversary"
	"github.com/nistgmm/nistgmm/federated/divergence"
	"github.com/nistgmm/nistgmm/federated/server"
)

var distanceHelp = "distance choosing COAT and the balls:\n" + indent(divergence.DistanceHelp()) + "\n" +
	"Default jeffreys (transportation divergence with the symmetric KL cost). The paper's ise and the one-sided kl " +
	"fail when Byzantine fits are broader than honest ones (letters fitted on 5,000 points against digits on 500): " +
	"an ISE dominated by the squared norm of each density, and KL(peaked || broad), both reward broadness, so the " +
	"Byzantine fits sit nearer COAT than the honest ones and no radius separates them (measured in docs/results.md, " +
	"section 2)"

const penaltyHelp = "c in the local fits' penalty a_n = c n^(-1/2): a number (1 is the paper's), or auto: " +
	"each machine picks c from 1, 3, ..., 1000 by 3-fold held-out likelihood on its own data. The paper's " +
	"c = 1 hardly regularizes 10 covariances in d = 50 from 500 points: the fits overfit, a single fit's test ARI " +
	"is 0.16-0.61 against 0.91-0.93 with the chosen c (docs/results.md, section 1)"

// serverFlags are the aggregation settings run, reproduce and aggregate share.
type serverFlags struct {
	distance, radius   string
	radiusScale, power float64
	singleStart        bool
	hardening          string
	centre             string
	exactUpTo          int
	candidates         int
	refined            int
	flagLevel          float64
}

func (f *serverFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.distance, "distance", string(divergence.Jeffreys), distanceHelp)
	fs.StringVar(&f.radius, "ared-radius", string(server.RadiusRobust), "ARED's radius. robust: r = r_coat + s (r_coat - q25) / 0.6745, "+
		"q25 the median distance to COAT inside COAT's ball, so (r_coat - q25) / 0.6745 is a normal-consistent spread of "+
		"the honest distances measured from the half of the estimates an honest majority fills (never below r_coat; it "+
		"needs m >= 5). eq5: the paper's r_coat sqrt(0.5 log(m/2) log log m), whose factor is below 1 for m < 10 and "+
		"ignores how spread the honest fits are (docs/methods.md, docs/results.md section 3)")
	fs.Float64Var(&f.radiusScale, "ared-radius-scale", 3, "s in the robust radius rule")
	fs.Float64Var(&f.power, "ared-power", 0, "with --ared-radius eq5: power of the factor; 0 means 2 for cs and 1 otherwise (eq. 5 as printed)")
	fs.BoolVar(&f.singleStart, "single-start", false, "start every GMR reduction at COAT only, as the paper does (default: also at the 3 kept "+
		"estimates nearest COAT and at 4 weighted k-means++ seedings of the kept components; the lowest objective wins)")
	fs.StringVar(&f.hardening, "hardening", "full", "full: no machine weighs more than the median reported n, near copies count once, "+
		"absurd n are set aside, ARED combines the estimates componentwise; none: the paper's rules, "+
		"which trust every reported n and count copies as votes, so one machine reporting n = 10^15 or sending copies "+
		"steers the answer (docs/threat-model.md)")
	fs.StringVar(&f.centre, "centre", "auto", "how COAT (and each slot's centre) is found: exact (every pairwise distance, m^2 of them), "+
		"sampled (distances from --candidates random and --refined chosen estimates to all; see docs/scale.md for its guarantee), "+
		"or auto: exact up to --exact-up-to valid estimates, sampled above")
	fs.IntVar(&f.exactUpTo, "exact-up-to", server.DefaultExactUpTo, "with --centre auto: the most valid estimates searched exactly")
	fs.IntVar(&f.candidates, "candidates", server.DefaultCandidates, "sampled search: random candidates (the guarantee's c)")
	fs.IntVar(&f.refined, "refined", server.DefaultRefined, "sampled search: further candidates, those the random ones rank best")
	fs.Float64Var(&f.flagLevel, "flag-level", server.DefaultFlagLevel, "ARED's verdicts: the probability that a round flags at least one "+
		"honest machine (Holm's procedure over per-machine p-values of the distance to ARED's answer; see docs/threat-model.md)")
}

// apply checks the flags and sets them on an experiment's aggregation.
func (f *serverFlags) apply(c *experiments.Aggregation) error {
	var err error
	if c.Distance, err = divergence.ParseDistance(f.distance); err != nil {
		return fmt.Errorf("--distance: %w", err)
	}
	if c.Radius, err = server.ParseRadiusRule(f.radius); err != nil {
		return fmt.Errorf("--ared-radius: %w", err)
	}
	if !(f.radiusScale > 0) {
		return fmt.Errorf("--ared-radius-scale %v: want a number > 0", f.radiusScale)
	}
	if !(f.power >= 0) {
		return fmt.Errorf("--ared-power %v: want a number > 0 (or 0 for the distance's order)", f.power)
	}
	c.RadiusScale, c.AREDPower, c.SingleStart = f.radiusScale, f.power, f.singleStart
	if !(f.flagLevel > 0 && f.flagLevel < 1) {
		return fmt.Errorf("--flag-level %v: want a probability in (0, 1)", f.flagLevel)
	}
	c.FlagLevel = 0
	if f.flagLevel != server.DefaultFlagLevel {
		c.FlagLevel = f.flagLevel
	}
	c.Rules = experiments.RulesVersion
	switch f.hardening {
	case experiments.HardeningFull, experiments.HardeningNone:
		c.Hardening = f.hardening
	default:
		return fmt.Errorf("--hardening %q: want full or none", f.hardening)
	}
	if c.Centre, err = server.ParseCentreSearch(f.centre); err != nil {
		return fmt.Errorf("--centre: %w", err)
	}
	switch {
	case f.exactUpTo < 3:
		return fmt.Errorf("--exact-up-to %d: want at least 3", f.exactUpTo)
	case f.candidates < 1:
		return fmt.Errorf("--candidates %d: want at least 1", f.candidates)
	case f.refined < 1:
		return fmt.Errorf("--refined %d: want at least 1", f.refined)
	}
	// The defaults are stored as 0, so that configurations (and the
	// checkpoints that compare them) are the same as before these flags.
	c.ExactUpTo, c.Candidates, c.Refined = nonDefault(f.exactUpTo, server.DefaultExactUpTo),
		nonDefault(f.candidates, server.DefaultCandidates), nonDefault(f.refined, server.DefaultRefined)
	return nil
}

// nonDefault is v, or 0 when v is the default def.
func nonDefault(v, def int) int {
	if v == def {
		return 0
	}
	return v
}

// server returns the checked server the flags describe.
func (f *serverFlags) server() (*server.Server, error) {
	var a experiments.Aggregation
	if err := f.apply(&a); err != nil {
		return nil, err
	}
	s := a.Server()
	return s, s.Validate()
}

// experimentFlags are the flags run and reproduce share.
type experimentFlags struct {
	serverFlags
	features, failure, model, penalty string
	machines, nTotal, lettersN        int
	byzantineN                        int
	restarts, workers                 int
	stratified                        bool
	seed                              uint64
	// loaded says which features load read: their folder and the full
	// checksum of the model that made them.
	loadedDir, loadedModel string
}

func (f *experimentFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.features, "features", "", "features folder made by 'nistgmm extract' (default: "+defaultFeatures+
		", extracted from the built-in MNIST digits first if needed)")
	fs.StringVar(&f.model, "model", "", "ONNX model for that automatic extraction (default: the CNN built into nistgmm)")
	fs.IntVar(&f.machines, "machines", 50, "number of machines m (at least 3)")
	fs.IntVar(&f.nTotal, "n-total", 25000, "training digits N drawn and split across the machines (the paper: 25,000 and 60,000)")
	fs.BoolVar(&f.stratified, "stratified", false, "give every machine equal counts of each digit")
	f.serverFlags.register(fs)
	fs.StringVar(&f.failure, "failure", "", "Byzantine failure (default letters when the features have letters, else mean):\n"+
		indent(adversary.FailureHelp()))
	fs.IntVar(&f.byzantineN, "byzantine-n", 0, "sample size every Byzantine machine reports (for example 1000000000000000, the n-inflation "+
		"attack; 0: its own)")
	fs.IntVar(&f.lettersN, "letters-n", 5000, "letter features each Byzantine machine fits its mixture on")
	fs.Uint64Var(&f.seed, "seed", 1, "random seed: the same seed gives the same numbers")
	fs.IntVar(&f.restarts, "restarts", 10, "k-means++ initializations per local EM (at least 1)")
	fs.StringVar(&f.penalty, "penalty-scale", "auto", penaltyHelp)
	fs.IntVar(&f.workers, "workers", 0, "goroutines (0: one per core)")
}

// config checks every flag and builds the configuration, before any data
// are loaded. Without --failure it assumes the letters failure, which
// prepare replaces by the mean failure when the features have no letters.
func (f *experimentFlags) config(alphas []float64) (experiments.Table2Config, error) {
	c := experiments.NewTable2Config()
	c.Machines, c.NTotal, c.Stratified, c.LettersN = f.machines, f.nTotal, f.stratified, f.lettersN
	c.Seed, c.Restarts, c.Workers, c.Alphas = f.seed, f.restarts, f.workers, alphas
	c.ByzantineN = f.byzantineN
	if err := f.serverFlags.apply(&c.Aggregation); err != nil {
		return c, err
	}
	if f.restarts < 1 {
		return c, fmt.Errorf("--restarts %d: want at least 1", f.restarts)
	}
	if f.workers < 0 {
		return c, fmt.Errorf("--workers %d: want 0 (one per core) or more", f.workers)
	}
	if f.penalty != "auto" {
		v, err := parsePositive(f.penalty)
		if err != nil {
			return c, fmt.Errorf("--penalty-scale %q: want auto or a number > 0", f.penalty)
		}
		c.PenaltyScale = v
	}
	if f.failure != "" {
		var err error
		if c.Failure, err = adversary.ParseFailure(f.failure); err != nil {
			return c, fmt.Errorf("--failure: %w", err)
		}
	}
	if err := c.Validate(); err != nil {
		return c, flagged(err)
	}
	// The features extract writes have features.Dim columns: a split that
	// cannot fit them is refused before anything is loaded (Check repeats
	// this on the data, whatever their dimension).
	if per := c.NTotal / c.Machines; per <= features.Dim {
		return c, fmt.Errorf("--n-total %d over --machines %d leaves %d observations per machine, too few for a covariance of the "+
			"%d CNN features (at least %d are needed): use fewer machines or more digits", c.NTotal, c.Machines, per, features.Dim, features.Dim+1)
	}
	return c, nil
}

// flagged names the flags behind a configuration error.
func flagged(err error) error {
	return fmt.Errorf("%w (flags --machines, --n-total, --letters-n, --alpha(s), --penalty-scale)", err)
}

func parsePositive(s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || !(v > 0) || v > 1e300 {
		return 0, fmt.Errorf("%q is not a number > 0", s)
	}
	return v, nil
}

// load reads the features, extracting the built-in MNIST digits first when
// no folder was given and the default one is empty. Everything it says
// goes to stderr: stdout carries only results.
func (f *experimentFlags) load(ctx context.Context) (*experiments.Data, string, error) {
	dir := f.features
	if dir == "" {
		dir = defaultFeatures
		if _, err := os.Stat(filepath.Join(dir, "manifest.json")); errors.Is(err, os.ErrNotExist) {
			name := f.model
			if name == "" {
				name = builtinModel
			}
			fmt.Fprintf(os.Stderr, "no features in %s: extracting the built-in MNIST digits with %s first\n", dir, name)
			if _, err := extract(ctx, features.Job{Out: dir}, f.model, os.Stderr); err != nil {
				return nil, "", err
			}
		}
	}
	d, man, err := experiments.LoadData(dir)
	if err != nil {
		return nil, "", fmt.Errorf("--features: %w", err)
	}
	f.loadedDir, f.loadedModel = dir, man.ModelSHA256
	sum := man.ModelSHA256
	if len(sum) > 12 {
		sum = sum[:12]
	}
	return d, dir + " (model " + sum + ")", nil
}

// loadChecked checks the flags, loads the features and checks the
// configuration against them.
func (f *experimentFlags) loadChecked(ctx context.Context, alphas []float64) (*experiments.Data, experiments.Table2Config, string, error) {
	c, err := f.config(alphas)
	if err != nil {
		return nil, c, "", err
	}
	d, source, err := f.load(ctx)
	if err != nil {
		return nil, c, "", err
	}
	switch {
	case f.failure == "" && d.Letters != nil:
		c.Failure = adversary.Letters
	case f.failure == "":
		c.Failure = adversary.MeanFailure
		fmt.Fprintln(os.Stderr, "note: these features have no letters, so Byzantine machines use the mean failure "+
			"(Section 5.1) instead of the paper's letters; extract letters with --letters to use those")
	case c.Failure == adversary.Letters && d.Letters == nil:
		return nil, c, "", errors.New("--failure letters needs letter features: extract them with 'nistgmm extract --letters PATH --out DIR' and pass --features DIR")
	}
	if err := c.Check(d); err != nil {
		return nil, c, "", flagged(err)
	}
	return d, c, source, nil
}

func parseAlphas(s string) ([]float64, error) {
	var out []float64
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || !(v >= 0 && v < 0.5) {
			return nil, fmt.Errorf("--alphas: %q is not a failure rate in [0, 0.5)", f)
		}
		out = append(out, v)
	}
	return out, nil
}

// indent prefixes every line of s with a tab, for lists inside flag help.
func indent(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return "\t" + strings.Join(lines, "\n\t")
}

// distanceNames lists the distances, from package divergence's list.
func distanceNames() string {
	var names []string
	for _, d := range divergence.Distances() {
		names = append(names, string(d))
	}
	return strings.Join(names, ", ")
}
