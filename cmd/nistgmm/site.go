package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/nistgmm/nistgmm/experiments/siteattack"
	"github.com/nistgmm/nistgmm/features"
	"github.com/nistgmm/nistgmm/federated/adversary"
	"github.com/nistgmm/nistgmm/federated/mixture"
	"github.com/nistgmm/nistgmm/federation/site"
	"gonum.org/v1/gonum/mat"
)

func cmdSite(ctx context.Context, args []string) error {
	fs := newFlagSet("site", "--pki PKI --name NAME --server ADDR --features FILE|DIR [flags]")
	var df dialFlags
	df.register(fs, "")
	feats := fs.String("features", "", "this site's observations: a 2-D .npy file, a .csv/.tsv/.txt table, or a features folder made by 'nistgmm extract' (its training digits)")
	labelColumn := fs.String("label-column", "", "a column of a --features table to leave out (labels; header name or 0-based index)")
	share := fs.String("share", "", "I/M: keep only share I (0-based) of M of the observations, after a shuffle by --share-seed (demonstrations: one folder split across M sites)")
	shareSeed := fs.Uint64("share-seed", 1, "seed of the --share shuffle (the same on every site)")
	maxN := fs.Int("max-n", 0, "use at most this many observations (0: all)")
	seed := fs.Uint64("seed", 1, "seed of the local fit's k-means++ initializations and penalty search")
	restarts := fs.Int("restarts", 10, "k-means++ initializations (at least 1)")
	penalty := fs.String("penalty-scale", "auto", penaltyHelp)
	failure := fs.String("failure", "", "make this site Byzantine (demonstrations and tests): a failure of\n"+indent(adversary.FailureHelp())+
		"\nadaptive attacks play against the previous round's published aggregate, the only other estimate a site sees before committing")
	rounds := fs.Int("rounds", 1, "rounds to take part in (0: until stopped)")
	state := fs.String("state", "", "directory keeping each round's committed estimate until it is revealed (default .nistgmm-site-NAME)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := required(fs, "pki", "name", "features"); err != nil {
		return err
	}
	if *restarts < 1 {
		return fmt.Errorf("--restarts %d: want at least 1", *restarts)
	}
	if *rounds < 0 {
		return fmt.Errorf("--rounds %d: want 0 (until stopped) or more", *rounds)
	}
	var em mixture.EM
	if err := setPenalty(&em, *penalty); err != nil {
		return err
	}
	var fail adversary.Failure
	if *failure != "" {
		var err error
		if fail, err = adversary.ParseFailure(*failure); err != nil {
			return fmt.Errorf("--failure: %w", err)
		}
		if fail == adversary.Letters {
			return errors.New("--failure letters needs a letters fit; use mean, cov, weight or an adaptive attack")
		}
	}
	X, err := features.ReadObservationsOrSet(*feats, *labelColumn)
	if err != nil {
		return fmt.Errorf("--features: %w", err)
	}
	if *share != "" {
		if X, err = site.Share(X, *share, *shareSeed); err != nil {
			return fmt.Errorf("--share: %w", err)
		}
	}
	if n, d := X.Dims(); *maxN > 0 && n > *maxN {
		X = mat.DenseCopyOf(X.Slice(0, *maxN, 0, d))
	}
	if *state == "" {
		*state = ".nistgmm-site-" + df.name
	}
	api, closeFn, err := df.client()
	if err != nil {
		return err
	}
	defer closeFn()
	logf := func(format string, a ...any) {
		fmt.Fprintf(os.Stderr, "%s: %s\n", df.name, fmt.Sprintf(format, a...))
	}
	fitter := &site.Fitter{X: X, Restarts: *restarts, PenaltyScale: em.PenaltyScale, Seed: *seed, Logf: logf}
	if fail != "" {
		fitter.Byzantine = siteattack.Estimator(fail)
	}
	client := &site.Client{API: api, Name: df.name, State: *state, Logf: logf}
	var last uint64
	for done := 0; *rounds == 0 || done < *rounds; done++ {
		info, err := client.WaitRound(ctx, last)
		if err != nil {
			return err
		}
		out, err := client.Participate(ctx, info, fitter.Estimate)
		if err != nil {
			return err
		}
		last = info.RoundId
		reason := ""
		if out.Reason != "" {
			reason = " (" + out.Reason + ")"
		}
		fmt.Printf("%s round %d: %s%s\n", df.name, out.Round, out.State, reason)
	}
	return nil
}
