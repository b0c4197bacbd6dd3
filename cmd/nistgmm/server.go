package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strings"

	"github.com/nistgmm/nistgmm/eval"
	"github.com/nistgmm/nistgmm/features"
	"github.com/nistgmm/nistgmm/federated"
)

func cmdFitLocal(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("fit-local", flag.ContinueOnError)
	data := fs.String("data", "", "this machine's observations: a 2-D .npy file (float32 or float64)")
	k := fs.Int("k", 10, "mixture order K")
	seed := fs.Uint64("seed", 1, "seed of the k-means++ initializations")
	restarts := fs.Int("restarts", 10, "k-means++ initializations")
	id := fs.String("id", "", "this machine's id in the estimates file")
	out := fs.String("out", "", "estimates file to write; an existing one gets this machine added (or replaced)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *data == "" || *id == "" || *out == "" {
		return fmt.Errorf("--data, --id and --out are required")
	}
	X, err := features.ReadMatrix(*data)
	if err != nil {
		return err
	}
	mix, info, err := (&federated.EM{K: *k, Restarts: *restarts}).Fit(ctx, X, rand.New(rand.NewPCG(*seed, 0)))
	if err != nil {
		return err
	}
	n, _ := X.Dims()
	ests := []federated.Estimate{}
	if f, err := os.Open(*out); err == nil {
		prev, err := federated.DecodeEstimates(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s exists but is not an estimates file: %w", *out, err)
		}
		for _, e := range prev {
			if e.ID != *id && e.Mixture != nil {
				ests = append(ests, e)
			}
		}
	}
	ests = append(ests, federated.Estimate{ID: *id, N: n, Mixture: mix})
	if err := features.WriteFileAtomic(*out, func(w io.Writer) error { return federated.EncodeEstimates(w, ests) }); err != nil {
		return err
	}
	fmt.Printf("%s: K=%d on %d observations, %d EM iterations (converged %v), penalized log-likelihood %.2f; %s holds %d machines\n",
		*id, *k, n, info.Iterations, info.Converged, info.PenalizedLogLik, *out, len(ests))
	return nil
}

func cmdAggregate(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("aggregate", flag.ContinueOnError)
	estimates := fs.String("estimates", "", "estimates file (format nistgmm/estimates/v1)")
	method := fs.String("method", "ared", "gmr, coat, cred, ared, trim or oracle")
	distance := fs.String("distance", "kl", "ise, kl or cs")
	byz := fs.String("byzantine", "", "comma-separated ids known to be Byzantine (oracle only)")
	trim := fs.Float64("trim", 0.5, "TRIM's trimming level")
	out := fs.String("out", "", "report file to write (default: standard output)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	m, err := federated.ParseMethod(*method)
	if err != nil {
		return err
	}
	d, err := federated.ParseDistance(*distance)
	if err != nil {
		return err
	}
	f, err := os.Open(*estimates)
	if err != nil {
		return err
	}
	defer f.Close()
	var ids []string
	if *byz != "" {
		ids = strings.Split(*byz, ",")
	}
	if m == federated.Oracle && len(ids) == 0 {
		fmt.Fprintln(os.Stderr, "note: oracle without --byzantine treats every valid machine as honest")
	}
	rep, err := (&federated.Server{Distance: d, Trim: *trim}).AggregateDocument(ctx, f, m, ids)
	if err != nil {
		return err
	}
	for _, inv := range rep.Invalid {
		fmt.Fprintf(os.Stderr, "invalid estimate %s excluded: %s\n", inv.ID, inv.Reason)
	}
	write := func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", " ")
		return enc.Encode(rep)
	}
	if *out == "" {
		return write(os.Stdout)
	}
	if err := features.WriteFileAtomic(*out, write); err != nil {
		return err
	}
	fmt.Printf("%s over %d machines: kept %d, flagged %d, invalid %d; COAT %s, radius %.6g -> %s\n",
		m, len(rep.IDs)+len(rep.Invalid), len(rep.Kept), len(rep.Flagged), len(rep.Invalid), rep.Coat, rep.Radius, *out)
	return nil
}

func cmdScore(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("score", flag.ContinueOnError)
	mixture := fs.String("mixture", "", "report from `nistgmm aggregate` (or any JSON with a \"mixture\" object)")
	feats := fs.String("features", "", "2-D .npy features to cluster")
	labels := fs.String("labels", "", "1-D .npy true labels")
	if err := fs.Parse(args); err != nil {
		return err
	}
	data, err := os.ReadFile(*mixture)
	if err != nil {
		return err
	}
	var doc struct {
		Mixture *federated.MixtureJSON `json:"mixture"`
	}
	if err := json.Unmarshal(data, &doc); err != nil || doc.Mixture == nil {
		return fmt.Errorf("%s: no \"mixture\" object (%v)", *mixture, err)
	}
	mix, err := doc.Mixture.Mixture()
	if err != nil {
		return fmt.Errorf("%s: %w", *mixture, err)
	}
	X, err := features.ReadMatrix(*feats)
	if err != nil {
		return err
	}
	y, err := features.ReadLabels(*labels)
	if err != nil {
		return err
	}
	pred, err := mix.Predict(X)
	if err != nil {
		return err
	}
	ari, err := eval.ARI(pred, y)
	if err != nil {
		return err
	}
	fmt.Printf("%.6f\n", ari)
	return nil
}
