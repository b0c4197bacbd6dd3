package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/nistgmm/nistgmm/federated/server"
	"github.com/nistgmm/nistgmm/federation/operator"
	pb "github.com/nistgmm/nistgmm/federation/proto/v1"
	"github.com/nistgmm/nistgmm/federation/site"
	"github.com/nistgmm/nistgmm/internal/atomicfile"
)

// dialFlags are how an operator or a site reaches the coordinator.
type dialFlags struct {
	pki, name, server, serverName string
}

func (d *dialFlags) register(fs *flag.FlagSet, defaultName string) {
	fs.StringVar(&d.pki, "pki", "", "PKI directory holding ca.pem and this caller's NAME.pem and NAME-key.pem")
	fs.StringVar(&d.name, "name", defaultName, "this caller's certificate name")
	fs.StringVar(&d.server, "server", "127.0.0.1:7443", "the coordinator's address")
	fs.StringVar(&d.serverName, "server-name", "localhost", "the name in the coordinator's certificate")
}

func (d *dialFlags) client() (pb.CoordinatorClient, func(), error) {
	conn, err := site.Dial(d.pki, d.name, d.server, d.serverName, 0)
	if err != nil {
		return nil, nil, err
	}
	return pb.NewCoordinatorClient(conn), func() { conn.Close() }, nil
}

// operator is client as an operator's.
func (d *dialFlags) operator() (*operator.Client, func(), error) {
	api, closeFn, err := d.client()
	if err != nil {
		return nil, nil, err
	}
	return &operator.Client{API: api}, closeFn, nil
}

func cmdRound(ctx context.Context, args []string) error {
	subs := map[string]subcommand{
		"open":      {"open a round (operator)", roundOpen},
		"status":    {"print a round's phase and each site's standing", roundStatus},
		"result":    {"write a round's report (the format of 'nistgmm aggregate')", roundResult},
		"estimates": {"write a round's revealed estimates as an estimates file (operator)", roundEstimates},
		"backup":    {"write a consistent copy of the coordinator's store while it runs (operator)", roundBackup},
	}
	return runSub(ctx, "round", subs, []string{"open", "status", "result", "estimates", "backup"}, args)
}

func roundOpen(ctx context.Context, args []string) error {
	fs := newSubFlagSet("round", "open", "--pki PKI --server ADDR --k K --d D --quorum Q [flags]", "open a round of commit and reveal")
	var df dialFlags
	df.register(fs, "operator")
	k := fs.Int("k", 10, "mixture order every estimate must have")
	d := fs.Int("d", 0, "dimension every estimate must have")
	quorum := fs.Int("quorum", 0, "commitments that close the commit phase (at the commit deadline, at least 3 do)")
	commitFor := fs.Duration("commit-deadline", 10*time.Minute, "time from now to the commit deadline")
	revealFor := fs.Duration("reveal-deadline", 10*time.Minute, "time from the commit deadline to the reveal deadline")
	method := fs.String("method", "ared", "aggregation method:\n"+indent(server.MethodHelp()))
	seed := fs.Uint64("seed", 1, "seed of the aggregation's k-means++ starts")
	wait := fs.Bool("wait", false, "wait for the round's result and print its summary")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := required(fs, "pki"); err != nil {
		return err
	}
	if *d < 1 || *k < 1 || *quorum < 3 {
		return fmt.Errorf("--k %d, --d %d, --quorum %d: want K >= 1, d >= 1 and a quorum of at least 3", *k, *d, *quorum)
	}
	if *commitFor <= 0 || *revealFor <= 0 {
		return fmt.Errorf("--commit-deadline and --reveal-deadline must be positive durations")
	}
	if _, err := server.ParseMethod(*method); err != nil {
		return fmt.Errorf("--method: %w", err)
	}
	op, closeFn, err := df.operator()
	if err != nil {
		return err
	}
	defer closeFn()
	info, err := op.Open(ctx, operator.RoundSpec{K: *k, D: *d, Quorum: *quorum, CommitFor: *commitFor, RevealFor: *revealFor,
		Method: *method, Seed: *seed}, time.Now())
	if err != nil {
		return err
	}
	fmt.Printf("round %d open: K = %d, d = %d, quorum %d, commits until %s, reveals until %s\n", info.RoundId, *k, *d, *quorum,
		time.UnixMilli(info.Config.CommitDeadlineUnixMs).UTC().Format(time.RFC3339), time.UnixMilli(info.Config.RevealDeadlineUnixMs).UTC().Format(time.RFC3339))
	if !*wait {
		return nil
	}
	got, err := op.Wait(ctx, info.RoundId)
	if got != nil {
		operator.WriteRound(os.Stdout, got)
	}
	return err
}

func roundStatus(ctx context.Context, args []string) error {
	fs := newSubFlagSet("round", "status", "--pki PKI --server ADDR [--round N]", "print a round's phase and each site's standing")
	var df dialFlags
	df.register(fs, "operator")
	id := fs.Uint64("round", 0, "round id (0: the latest)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := required(fs, "pki"); err != nil {
		return err
	}
	op, closeFn, err := df.operator()
	if err != nil {
		return err
	}
	defer closeFn()
	info, err := op.Status(ctx, *id)
	if err != nil {
		return err
	}
	operator.WriteRound(os.Stdout, info)
	return nil
}

func writeOut(out string, data []byte) error {
	if out == "" || out == "-" {
		_, err := os.Stdout.Write(data)
		return err
	}
	return atomicfile.WriteFile(out, func(w io.Writer) error { _, err := w.Write(data); return err })
}

func roundResult(ctx context.Context, args []string) error {
	fs := newSubFlagSet("round", "result", "--pki PKI --server ADDR [--round N] --out agg.json", "write a round's report, in the format of 'nistgmm aggregate'")
	var df dialFlags
	df.register(fs, "operator")
	id := fs.Uint64("round", 0, "round id (0: the latest with a result)")
	out := fs.String("out", "", "report file (default: standard output)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := required(fs, "pki"); err != nil {
		return err
	}
	op, closeFn, err := df.operator()
	if err != nil {
		return err
	}
	defer closeFn()
	res, err := op.Result(ctx, *id)
	if err != nil {
		return err
	}
	if err := writeOut(*out, res.JSON); err != nil {
		return err
	}
	if rep := res.Report; *out != "" {
		fmt.Fprintf(os.Stderr, "round %d: %s, kept %d, flagged %d, invalid %d -> %s\n", res.Round, rep.Method, len(rep.Kept), len(rep.Flagged), len(rep.Invalid), *out)
	}
	return nil
}

func roundEstimates(ctx context.Context, args []string) error {
	fs := newSubFlagSet("round", "estimates", "--pki PKI --server ADDR --round N --out est.json", "write a round's revealed estimates (for 'nistgmm aggregate')")
	var df dialFlags
	df.register(fs, "operator")
	id := fs.Uint64("round", 0, "round id")
	out := fs.String("out", "", "estimates file (default: standard output)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := required(fs, "pki"); err != nil {
		return err
	}
	if *id == 0 {
		return errors.New("--round: give the round's id")
	}
	op, closeFn, err := df.operator()
	if err != nil {
		return err
	}
	defer closeFn()
	doc, err := op.Estimates(ctx, *id)
	if err != nil {
		return err
	}
	return writeOut(*out, doc)
}

func roundBackup(ctx context.Context, args []string) error {
	fs := newSubFlagSet("round", "backup", "--pki PKI --server ADDR --out federation.db", "write a consistent copy of the coordinator's store while it runs")
	var df dialFlags
	df.register(fs, "operator")
	out := fs.String("out", "", "file to write (a bbolt database: start a coordinator on a directory holding it as federation.db)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := required(fs, "pki", "out"); err != nil {
		return err
	}
	op, closeFn, err := df.operator()
	if err != nil {
		return err
	}
	defer closeFn()
	db, err := op.Backup(ctx)
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(*out, func(w io.Writer) error { _, err := w.Write(db); return err }); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "backup: %d bytes -> %s\n", len(db), *out)
	return nil
}
