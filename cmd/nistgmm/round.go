package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/nistgmm/nistgmm/federated/server"
	pb "github.com/nistgmm/nistgmm/federation/proto/v1"
	"github.com/nistgmm/nistgmm/federation/site"
	"github.com/nistgmm/nistgmm/internal/atomicfile"
	"google.golang.org/grpc/status"
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

// grpcErr turns a refusal into its message.
func grpcErr(what string, err error) error {
	if s, ok := status.FromError(err); ok {
		return fmt.Errorf("%s: %s (%s)", what, s.Message(), s.Code())
	}
	return fmt.Errorf("%s: %w", what, err)
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
	api, closeFn, err := df.client()
	if err != nil {
		return err
	}
	defer closeFn()
	now := time.Now()
	info, err := api.OpenRound(ctx, &pb.OpenRoundRequest{Config: &pb.RoundConfig{K: uint32(*k), D: uint32(*d), Quorum: uint32(*quorum),
		CommitDeadlineUnixMs: now.Add(*commitFor).UnixMilli(), RevealDeadlineUnixMs: now.Add(*commitFor + *revealFor).UnixMilli(),
		Method: *method, Seed: *seed}})
	if err != nil {
		return grpcErr("round open", err)
	}
	fmt.Printf("round %d open: K = %d, d = %d, quorum %d, commits until %s, reveals until %s\n", info.RoundId, *k, *d, *quorum,
		time.UnixMilli(info.Config.CommitDeadlineUnixMs).UTC().Format(time.RFC3339), time.UnixMilli(info.Config.RevealDeadlineUnixMs).UTC().Format(time.RFC3339))
	if !*wait {
		return nil
	}
	for {
		got, err := api.GetRound(ctx, &pb.GetRoundRequest{RoundId: info.RoundId})
		if err != nil && !site.Retryable(err) {
			return grpcErr("round status", err)
		}
		if err == nil && got.Phase >= pb.Phase_PHASE_DONE {
			printRound(got)
			if got.Phase == pb.Phase_PHASE_FAILED {
				return fmt.Errorf("round %d failed: %s", got.RoundId, got.Error)
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func printRound(info *pb.RoundInfo) {
	fmt.Printf("round %d: %s, %d committed, %d revealed", info.RoundId, phaseName(info.Phase), info.Committed, info.Revealed)
	if info.Error != "" {
		fmt.Printf(" (%s)", info.Error)
	}
	fmt.Println()
	for _, s := range info.Sites {
		fmt.Printf("  %-20s %-10s %s\n", s.SiteId, s.State, s.Reason)
	}
}

func phaseName(p pb.Phase) string {
	return map[pb.Phase]string{pb.Phase_PHASE_COMMIT: "commit", pb.Phase_PHASE_REVEAL: "reveal", pb.Phase_PHASE_AGGREGATING: "aggregating",
		pb.Phase_PHASE_DONE: "done", pb.Phase_PHASE_FAILED: "failed"}[p]
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
	api, closeFn, err := df.client()
	if err != nil {
		return err
	}
	defer closeFn()
	info, err := api.GetRound(ctx, &pb.GetRoundRequest{RoundId: *id})
	if err != nil {
		return grpcErr("round status", err)
	}
	printRound(info)
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
	api, closeFn, err := df.client()
	if err != nil {
		return err
	}
	defer closeFn()
	res, err := api.GetResult(ctx, &pb.GetResultRequest{RoundId: *id})
	if err != nil {
		return grpcErr("round result", err)
	}
	var rep server.Report
	if err := json.Unmarshal(res.ReportJson, &rep); err != nil {
		return fmt.Errorf("round %d's report does not decode: %w", res.RoundId, err)
	}
	if err := writeOut(*out, res.ReportJson); err != nil {
		return err
	}
	if *out != "" {
		fmt.Fprintf(os.Stderr, "round %d: %s, kept %d, flagged %d, invalid %d -> %s\n", res.RoundId, rep.Method, len(rep.Kept), len(rep.Flagged), len(rep.Invalid), *out)
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
	api, closeFn, err := df.client()
	if err != nil {
		return err
	}
	defer closeFn()
	res, err := api.GetEstimates(ctx, &pb.GetEstimatesRequest{RoundId: *id})
	if err != nil {
		return grpcErr("round estimates", err)
	}
	return writeOut(*out, res.EstimatesJson)
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
	api, closeFn, err := df.client()
	if err != nil {
		return err
	}
	defer closeFn()
	stream, err := api.Backup(ctx, &pb.BackupRequest{})
	if err != nil {
		return grpcErr("round backup", err)
	}
	var buf bytes.Buffer
	for {
		chunk, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			return grpcErr("round backup", err)
		}
		buf.Write(chunk.Data)
	}
	if err := atomicfile.WriteFile(*out, func(w io.Writer) error { _, err := w.Write(buf.Bytes()); return err }); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "backup: %d bytes -> %s\n", buf.Len(), *out)
	return nil
}
