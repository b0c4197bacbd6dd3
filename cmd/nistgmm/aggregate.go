package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"

	"github.com/nistgmm/nistgmm/federated"
	"github.com/nistgmm/nistgmm/internal/atomicfile"
	"github.com/nistgmm/nistgmm/internal/plural"
)

func cmdAggregate(ctx context.Context, args []string) error {
	fs := newFlagSet("aggregate", "--estimates est.json [--method ared] [flags]")
	estimates := fs.String("estimates", "", "estimates file (format nistgmm/estimates/v1, see README)")
	method := fs.String("method", "ared", "aggregation method:\n"+indent(federated.MethodHelp()))
	var sf serverFlags
	sf.register(fs)
	byz := fs.String("byzantine", "", "comma-separated ids known to be Byzantine (oracle only)")
	trim := fs.Float64("trim", 0.5, "TRIM's trimming level, in (0, 1)")
	seed := fs.Uint64("seed", 1, "seed of the reduction's k-means++ starts")
	out := fs.String("out", "", "report file to write (default: standard output)")
	k := fs.Int("k", 0, "order the estimates must have (0: the one more than half of them share)")
	dim := fs.Int("d", 0, "dimension the estimates must have (0: the one more than half of them share)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := required(fs, "estimates"); err != nil {
		return err
	}
	m, err := federated.ParseMethod(*method)
	if err != nil {
		return fmt.Errorf("--method: %w", err)
	}
	if !(*trim > 0 && *trim < 1) {
		return fmt.Errorf("--trim %v: want a level in (0, 1)", *trim)
	}
	srv, err := sf.server()
	if err != nil {
		return err
	}
	if *k < 0 || *dim < 0 {
		return fmt.Errorf("--k %d and --d %d: want 0 (the majority's) or more", *k, *dim)
	}
	srv.Trim, srv.Seed, srv.K, srv.Dim = *trim, *seed, *k, *dim
	if os.Getenv("GOGC") == "" {
		// The server holds the estimates (and their factorizations) from
		// start to end and allocates little beside them, so collecting at
		// 25% growth rather than 100% keeps the peak near what the
		// estimates need (1,000 machines of order 10 in dimension 50:
		// 1.3 GB rather than 2.1 GB) at no measurable cost in time.
		debug.SetGCPercent(25)
	}
	f, err := os.Open(*estimates)
	if err != nil {
		return fmt.Errorf("--estimates: %w", err)
	}
	defer f.Close()
	var ids []string
	if *byz != "" {
		ids = strings.Split(*byz, ",")
	}
	if m == federated.Oracle && len(ids) == 0 {
		fmt.Fprintln(os.Stderr, "note: oracle without --byzantine treats every valid machine as honest")
	}
	rep, err := srv.AggregateDocument(ctx, f, m, ids)
	if err != nil {
		return fmt.Errorf("%s: %w", *estimates, err)
	}
	for _, inv := range rep.Invalid {
		fmt.Fprintf(os.Stderr, "invalid estimate %s excluded: %s\n", federated.QuoteID(inv.ID), inv.Reason)
	}
	for _, s := range rep.SetAside {
		fmt.Fprintf(os.Stderr, "estimate %s set aside: %s\n", federated.QuoteID(s.ID), s.Reason)
	}
	if len(rep.Capped) > 0 {
		fmt.Fprintf(os.Stderr, "%s reported more observations than the median report: weighted as the median\n", plural.Count(len(rep.Capped), "estimate"))
	}
	if rep.Warning != "" {
		fmt.Fprintf(os.Stderr, "warning: %s\n", rep.Warning)
	}
	write := func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", " ")
		return enc.Encode(rep)
	}
	if *out == "" {
		return write(os.Stdout)
	}
	if err := atomicfile.WriteFile(*out, write); err != nil {
		return err
	}
	search, _, _ := strings.Cut(rep.CentreSearch, ";")
	fmt.Fprintf(os.Stderr, "%s over %s: kept %d, flagged %d, invalid %d; COAT %s (%s), radius %.6g -> %s\n",
		m, plural.Count(len(rep.IDs)+len(rep.Invalid), "machine"), len(rep.Kept), len(rep.Flagged), len(rep.Invalid), federated.QuoteID(rep.Coat), search, rep.Radius, *out)
	return nil
}
