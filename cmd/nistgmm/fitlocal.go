package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"

	"github.com/nistgmm/nistgmm/federated/estimates"
	"github.com/nistgmm/nistgmm/federated/mixture"
	"github.com/nistgmm/nistgmm/internal/atomicfile"
	"github.com/nistgmm/nistgmm/internal/plural"
	"github.com/nistgmm/nistgmm/internal/prettyjson"
)

func cmdFitLocal(ctx context.Context, args []string) error {
	fs := newFlagSet("fit-local", "--data X.csv|X.npy --id ID --out est.json [--k 10] [--label-column NAME] [--ignore-columns NAMES] [flags]")
	data := fs.String("data", "", "this machine's observations, one row each: a 2-D .npy file (float32 or float64), or a .csv/.tsv/.txt "+
		"table (comma, semicolon, tab or blank separated, found from the first lines; a first line of names is a header). Every "+
		"column is a feature unless --label-column or --ignore-columns leaves it out; a column of text is refused")
	k := fs.Int("k", defaultK, "mixture order K: the number of components fitted")
	seed := fs.Uint64("seed", 1, "seed of the k-means++ initializations and of the penalty search")
	restarts := fs.Int("restarts", 10, "k-means++ initializations (at least 1)")
	penalty := fs.String("penalty-scale", "auto", penaltyHelp)
	id := fs.String("id", "", "this machine's id in the estimates file")
	var tf tableFlags
	tf.register(fs, "a column of a --data table holding labels, left out of the features (header name or 0-based index)")
	out := fs.String("out", "", "estimates file to write; an existing one gets this machine added (or replaced)")
	pretty := fs.Bool("pretty", false, "write --out indented, one machine's weights, means and covariance rows a line, for reading or editing "+
		"by hand (the server reads both forms)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := required(fs, "data", "id", "out"); err != nil {
		return err
	}
	em := &mixture.EM{K: *k, Restarts: *restarts}
	if err := setPenalty(em, *penalty); err != nil {
		return err
	}
	if *restarts < 1 {
		return fmt.Errorf("--restarts %d: want at least 1", *restarts)
	}
	if err := em.Validate(); err != nil {
		return fmt.Errorf("--k: %w", err)
	}
	tab, err := tf.read("data", *data)
	if err != nil {
		return err
	}
	X := tab.X
	warnSuspectColumns(os.Stderr, "data", tab)
	// Read the existing estimates first: a file that is not one must not
	// be overwritten.
	ests := []estimates.Estimate{}
	if f, err := os.Open(*out); err == nil {
		prev, err := estimates.DecodeEstimates(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("--out %s exists but is not an estimates file (%w); choose another file", *out, err)
		}
		for _, e := range prev {
			if e.ID != *id && e.Mixture != nil {
				ests = append(ests, e)
			}
		}
	}
	n, d := X.Dims()
	for _, e := range ests {
		if e.Mixture.Dim() != d || e.Mixture.K() != *k {
			return fmt.Errorf("--out %s holds machine %s of order %d in dimension %d; this one would be order %d in dimension %d, "+
				"which the server would exclude: write it to another file", *out, estimates.QuoteID(e.ID), e.Mixture.K(), e.Mixture.Dim(), *k, d)
		}
	}
	if n <= d {
		return fmt.Errorf("--data %s has %d observations in dimension %d: too few for any covariance (the penalty needs the sample "+
			"covariance, which needs at least d + 1 = %d observations); use more data or fewer features", *data, n, d, d+1)
	}
	mix, info, err := em.Fit(ctx, X, rand.New(rand.NewPCG(*seed, 0)))
	if err != nil {
		return fmt.Errorf("fitting K = %d components to %d observations in dimension %d (%.1f per component, each with %d covariance "+
			"entries): %w; use more data or a smaller --k", *k, n, d, float64(n)/float64(*k), d*(d+1)/2, err)
	}
	ests = append(ests, estimates.Estimate{ID: *id, N: n, Mixture: mix})
	if err := atomicfile.WriteFile(*out, func(w io.Writer) error { return encodeEstimates(w, ests, *pretty) }); err != nil {
		return err
	}
	kFrom := "set by --k"
	if !flagSet(fs, "k") {
		kFrom = "the default; --k sets it"
	}
	converged := "converged"
	if !info.Converged {
		converged = "not converged"
	}
	// As scikit-learn's estimators do, say the shape that was fitted: a
	// column that should not have been a feature shows in d.
	fmt.Fprintf(os.Stderr, "%s: fitted K = %d components (%s) to %s x %s%s; penalty c = %g, %s (%s), penalized "+
		"log-likelihood %.2f; %s holds %s\n",
		estimates.QuoteID(*id), *k, kFrom, plural.Count(n, "observation"), plural.Count(d, "feature"), tab.DescribeColumns(),
		info.PenaltyScale, plural.Count(info.Iterations, "EM iteration"), converged, info.PenalizedLogLik, *out, plural.Count(len(ests), "machine"))
	return nil
}

// defaultK is fit-local's default mixture order, that of the paper's ten
// digits.
const defaultK = 10

// flagSet reports whether the named flag was given on the command line.
func flagSet(fs *flag.FlagSet, name string) bool {
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == name })
	return given
}

// encodeEstimates writes an estimates document, compact (one line, the
// smallest) or indented for reading by hand.
func encodeEstimates(w io.Writer, ests []estimates.Estimate, pretty bool) error {
	if !pretty {
		return estimates.EncodeEstimates(w, ests)
	}
	var buf bytes.Buffer
	if err := estimates.EncodeEstimates(&buf, ests); err != nil {
		return err
	}
	return prettyjson.Write(w, buf.Bytes())
}

// setPenalty applies a --penalty-scale value: auto or a number > 0.
func setPenalty(em *mixture.EM, v string) error {
	if v == "auto" {
		em.PenaltySearch = &mixture.PenaltySearch{}
		return nil
	}
	c, err := parsePositive(v)
	if err != nil {
		return fmt.Errorf("--penalty-scale %q: want auto or a number > 0", v)
	}
	em.PenaltyScale = c
	return nil
}
