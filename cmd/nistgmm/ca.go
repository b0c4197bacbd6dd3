package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/nistgmm/nistgmm/federation/pki"
)

// subcommand is one verb of a command with verbs (ca, round).
type subcommand struct {
	summary string
	run     func(ctx context.Context, args []string) error
}

// runSub dispatches args[0] among subs of command name.
func runSub(ctx context.Context, name string, subs map[string]subcommand, order []string, args []string) error {
	help := func(w io.Writer) {
		fmt.Fprintf(w, "usage: nistgmm %s <%s> [flags]\n\n", name, strings.Join(order, "|"))
		for _, s := range order {
			fmt.Fprintf(w, "  %-10s %s\n", s, subs[s].summary)
		}
		fmt.Fprintf(w, "\n'nistgmm %s <verb> -h' lists a verb's flags.\n", name)
	}
	if len(args) == 0 {
		help(os.Stderr)
		return fmt.Errorf("%s needs one of %s", name, strings.Join(order, ", "))
	}
	if a := args[0]; a == "-h" || a == "--help" || a == "help" {
		// Asked-for help is the command's output: stdout, exit 0.
		help(os.Stdout)
		return errHelp
	}
	s, ok := subs[args[0]]
	if !ok {
		help(os.Stderr)
		return fmt.Errorf("unknown verb %q: want one of %s", args[0], strings.Join(order, ", "))
	}
	return s.run(ctx, args[1:])
}

// newSubFlagSet is newFlagSet for "command verb".
func newSubFlagSet(name, verb, synopsis, summary string) *flag.FlagSet {
	fs := flag.NewFlagSet(name+" "+verb, flag.ContinueOnError)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "usage: nistgmm %s %s %s\n\n%s.\n\nflags:\n", name, verb, synopsis, summary)
		fs.PrintDefaults()
	}
	fs.Bool("quiet", false, "no progress report on stderr (warnings and errors are still printed)")
	return fs
}

func cmdCA(ctx context.Context, args []string) error {
	subs := map[string]subcommand{
		"init":   {"create the federation's certificate authority in --dir", caInit},
		"issue":  {"issue a certificate and key for a site, an operator or the coordinator", caIssue},
		"revoke": {"revoke a name's certificate (refused at the coordinator's next handshake)", caRevoke},
		"list":   {"list the certificates issued", caList},
	}
	return runSub(ctx, "ca", subs, []string{"init", "issue", "revoke", "list"}, args)
}

func caInit(_ context.Context, args []string) error {
	fs := newSubFlagSet("ca", "init", "--dir PKI", "create the federation's certificate authority (PKI/ca.pem, its key 0600, an empty revocation list)")
	dir := fs.String("dir", "", "directory of the authority (created 0700)")
	name := fs.String("name", "nistgmm federation CA", "the authority's name")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := required(fs, "dir"); err != nil {
		return err
	}
	if err := pki.Init(*dir, *name, time.Now()); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "authority %q in %s; keep %s private\n", *name, pki.CAPath(*dir), *dir+"/ca-key.pem")
	return nil
}

func caIssue(_ context.Context, args []string) error {
	fs := newSubFlagSet("ca", "issue", "--dir PKI --name NAME [--server [--host H,...] | --operator]",
		"issue NAME.pem and NAME-key.pem (0600); a site's id in the federation is NAME")
	dir := fs.String("dir", "", "directory of the authority")
	name := fs.String("name", "", "the site's id, the operator's name, or the coordinator's host name")
	server := fs.Bool("server", false, "the coordinator's certificate (NAME is its host name)")
	operator := fs.Bool("operator", false, "an operator's certificate: opens rounds, reads estimates, takes backups")
	hosts := fs.String("host", "", "with --server: further DNS names or IP addresses of the coordinator, comma-separated")
	days := fs.Int("days", int(pki.CertValidity/(24*time.Hour)), "validity in days")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := required(fs, "dir", "name"); err != nil {
		return err
	}
	if *server && *operator {
		return fmt.Errorf("--server and --operator: choose one")
	}
	if *days < 1 {
		return fmt.Errorf("--days %d: want at least 1", *days)
	}
	opt := pki.IssueOptions{Name: *name, Role: pki.RoleSite}
	switch {
	case *server:
		opt.Role = pki.RoleServer
		if *hosts != "" {
			opt.Hosts = strings.Split(*hosts, ",")
		}
	case *operator:
		opt.Role = pki.RoleOperator
	}
	now := time.Now()
	opt.NotAfter = now.Add(time.Duration(*days) * 24 * time.Hour)
	if err := pki.Issue(*dir, opt, now); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "%s %q: %s, key %s\n", opt.Role, *name, pki.CertPath(*dir, *name), pki.KeyPath(*dir, *name))
	return nil
}

func caRevoke(_ context.Context, args []string) error {
	fs := newSubFlagSet("ca", "revoke", "--dir PKI --name NAME", "revoke NAME's certificate and re-sign PKI/crl.pem")
	dir := fs.String("dir", "", "directory of the authority")
	name := fs.String("name", "", "the certificate's name")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := required(fs, "dir", "name"); err != nil {
		return err
	}
	if err := pki.Revoke(*dir, *name, time.Now()); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "%q revoked in %s; a coordinator reading %s refuses it from its next handshake\n", *name, pki.CRLPath(*dir), *dir)
	return nil
}

func caList(_ context.Context, args []string) error {
	fs := newSubFlagSet("ca", "list", "--dir PKI", "list the certificates issued")
	dir := fs.String("dir", "", "directory of the authority")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := required(fs, "dir"); err != nil {
		return err
	}
	idx, err := pki.List(*dir)
	if err != nil {
		return err
	}
	for _, e := range idx.Entries {
		state := "valid until " + e.NotAfter.Format(time.DateOnly)
		if e.Revoked {
			state = "revoked " + e.RevokedAt.Format(time.RFC3339)
		}
		fmt.Printf("%-24s %-8s %s  serial %s\n", e.Name, e.Role, state, e.Serial)
	}
	return nil
}
