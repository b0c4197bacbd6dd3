package server

import (
	"context"
	"fmt"
	"strings"
)

// Method names an aggregation rule.
type Method string

const (
	GMR    Method = "gmr"    // reduction of all estimates (eq. 2)
	COAT   Method = "coat"   // the centre of attention itself (eq. 3)
	CRED   Method = "cred"   // reduction over COAT's half-ball (eq. 4)
	ARED   Method = "ared"   // reduction over COAT's inflated ball (eq. 5)
	TRIM   Method = "trim"   // trimmed k-barycenter (Algorithm 2)
	Oracle Method = "oracle" // reduction over machines known to be honest
)

// methodKind is one entry of the method registry: its name, a line of
// help, and how it aggregates a round (byzantine is read only by Oracle).
type methodKind struct {
	name      Method
	help      string
	aggregate func(ctx context.Context, r *Round, byzantine []int) (*Result, error)
}

// methodKinds is the registry, in the column order of the paper's Table 2:
// parsing, help texts and every list of methods derive from it. A new
// method is one file with its aggregate function and one entry here.
func methodKinds() []methodKind {
	return []methodKind{
		{Oracle, "reduction of the machines known to be honest (a benchmark: it is told the Byzantine set)", aggregateOracle},
		{ARED, "reduction of COAT's inflated ball, combined componentwise by default (eq. 5)", aggregateARED},
		{CRED, "reduction of COAT's ball, the half of the estimates nearest COAT (eq. 4)", aggregateCRED},
		{TRIM, "trimmed k-barycenter with trimming level 0.5, started at COAT (Algorithm 2)", aggregateTRIM},
		{COAT, "the estimate with the smallest ball holding half of them (eq. 3)", aggregateCOAT},
		{GMR, "reduction of every valid estimate (eq. 2)", aggregateGMR},
	}
}

// Methods lists every method in the column order of the paper's Table 2.
func Methods() []Method {
	var out []Method
	for _, k := range methodKinds() {
		out = append(out, k.name)
	}
	return out
}

// MethodHelp describes every method in one line each.
func MethodHelp() string {
	var b strings.Builder
	for _, k := range methodKinds() {
		fmt.Fprintf(&b, "%s: %s\n", k.name, k.help)
	}
	return b.String()
}

// ParseMethod accepts the names of Methods.
func ParseMethod(s string) (Method, error) {
	var names []string
	for _, k := range methodKinds() {
		if string(k.name) == s {
			return k.name, nil
		}
		names = append(names, string(k.name))
	}
	return "", fmt.Errorf("unknown method %q: want one of %s", s, strings.Join(names, ", "))
}
