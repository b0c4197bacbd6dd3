package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/nistgmm/nistgmm/federated/estimates"
	"github.com/nistgmm/nistgmm/federated/server"
	"github.com/nistgmm/nistgmm/internal/atomicfile"
	"github.com/nistgmm/nistgmm/internal/plural"
	"github.com/nistgmm/nistgmm/internal/prettyjson"
)

func cmdAggregate(ctx context.Context, args []string) error {
	fs := newFlagSet("aggregate", "--estimates est.json [--method ared] [--out agg.json] [--pretty] [flags]")
	estimatesPath := fs.String("estimates", "", "estimates file written by fit-local, run --estimates-out or any program (format nistgmm/estimates/v1: "+
		"{\"format\", \"machines\": [{\"id\", \"n\", \"weights\", \"means\", \"covariances\"}, ...]}; docs/estimates-format.md)")
	method := fs.String("method", "ared", "aggregation method:\n"+indent(server.MethodHelp()))
	var sf serverFlags
	sf.register(fs)
	byz := fs.String("byzantine", "", "comma-separated ids known to be Byzantine (oracle only)")
	trim := fs.Float64("trim", 0.5, "TRIM's trimming level, in (0, 1)")
	seed := fs.Uint64("seed", 1, "seed of the reduction's k-means++ starts")
	out := fs.String("out", "", "report file to write (default: standard output)")
	pretty := fs.Bool("pretty", false, "indent the report, a member a line and each mean, covariance row or list of ids on one line, for "+
		"reading by hand (default: one compact line)")
	k := fs.Int("k", 0, "order the estimates must have (0: the one more than half of them share)")
	dim := fs.Int("d", 0, "dimension the estimates must have (0: the one more than half of them share)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := required(fs, "estimates"); err != nil {
		return err
	}
	m, err := server.ParseMethod(*method)
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
	collectOften()
	f, err := os.Open(*estimatesPath)
	if err != nil {
		return fmt.Errorf("--estimates: %w", err)
	}
	defer f.Close()
	var ids []string
	if *byz != "" {
		ids = strings.Split(*byz, ",")
	}
	if m == server.Oracle && len(ids) == 0 {
		fmt.Fprintln(os.Stderr, "note: oracle without --byzantine treats every valid machine as honest")
	}
	rep, err := srv.AggregateDocument(ctx, f, m, ids)
	if err != nil {
		return fmt.Errorf("%s: %w", *estimatesPath, err)
	}
	for _, inv := range rep.Invalid {
		fmt.Fprintf(os.Stderr, "invalid estimate %s excluded: %s\n", estimates.QuoteID(inv.ID), inv.Reason)
	}
	for _, g := range rep.CopyGroups {
		names := make([]string, len(g.Members))
		for j, id := range g.Members {
			names[j] = estimates.QuoteID(id)
		}
		fmt.Fprintf(os.Stderr, "near copies counted once: %s\n", strings.Join(names, ", "))
	}
	for _, s := range rep.SetAside {
		fmt.Fprintf(os.Stderr, "estimate %s set aside: %s\n", estimates.QuoteID(s.ID), s.Reason)
	}
	if len(rep.Capped) > 0 {
		fmt.Fprintf(os.Stderr, "%s reported more observations than the median report: weighted as the median\n", plural.Count(len(rep.Capped), "estimate"))
	}
	if rep.Warning != "" {
		fmt.Fprintf(os.Stderr, "warning: %s\n", rep.Warning)
	}
	write := func(w io.Writer) error {
		doc, err := json.Marshal(rep)
		if err != nil {
			return err
		}
		if *pretty {
			return prettyjson.Write(w, doc)
		}
		_, err = w.Write(append(doc, '\n'))
		return err
	}
	dest := "standard output"
	if *out == "" {
		if err := write(os.Stdout); err != nil {
			return err
		}
	} else {
		if err := atomicfile.WriteFile(*out, write); err != nil {
			return err
		}
		dest = *out
	}
	fmt.Fprintln(os.Stderr, aggregateSummary(rep, dest))
	return nil
}

// maxNamedIDs is how many flagged machines the summary line names; the
// report holds them all.
const maxNamedIDs = 10

// aggregateSummary is aggregate's one-line summary: what was kept, which
// machines were flagged, by name, and where the report went.
func aggregateSummary(rep *server.Report, dest string) string {
	search, _, _ := strings.Cut(rep.CentreSearch, ";")
	flagged := ""
	if len(rep.Flagged) > 0 {
		flagged = " (" + estimates.QuoteIDs(rep.Flagged, maxNamedIDs) + ")"
	}
	return fmt.Sprintf("%s over %s: kept %d, flagged %d%s, invalid %d; COAT %s (%s), radius %.6g -> %s",
		rep.Method, plural.Count(len(rep.IDs)+len(rep.Invalid), "machine"), len(rep.Kept), len(rep.Flagged), flagged, len(rep.Invalid),
		estimates.QuoteID(rep.Coat), search, rep.Radius, dest)
}
