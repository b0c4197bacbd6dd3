package federated

import (
	"bytes"
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/nistgmm/nistgmm"

// listed is what go list says of one package of the module.
type listed struct {
	ImportPath string
	Name       string
	Imports    []string // direct imports of its non-test files
	Deps       []string // every package those depend on, transitively
	CgoFiles   []string
}

// listModule runs go list over the whole module. With -e it lists a
// package even when its imports make a cycle, so that the rules below
// report the forbidden import rather than a build failure.
func listModule(t *testing.T) map[string]listed {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go tool is not on PATH")
	}
	cmd := exec.Command(goTool, "list", "-e", "-deps", "-json", module+"/...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	pkgs := map[string]listed{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listed
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs[p.ImportPath] = p
	}
	return pkgs
}

// within reports whether path is pkg or a package below it.
func within(path, pkg string) bool {
	return path == pkg || strings.HasPrefix(path, pkg+"/")
}

// A rule forbids the packages matching from to depend, directly or not, on
// those within any of the forbidden paths (both relative to the module).
type rule struct {
	from      func(path string) bool
	forbidden []string
	why       string
}

func only(pkgs ...string) func(string) bool {
	return func(path string) bool {
		for _, p := range pkgs {
			if within(path, module+"/"+p) {
				return true
			}
		}
		return false
	}
}

// dependencyRules are the one-way dependencies of the federated packages
// (see doc.go). The Go compiler already forbids cycles; these forbid the
// directions a cycle would not catch.
func dependencyRules(pkgs map[string]listed) []rule {
	return []rule{
		{only("federated/server"), []string{"federated/adversary", "federated/mixture/"},
			"the server imports neither the adversary nor the fitting code's internals"},
		{only("federated/estimates"), []string{"federated/server", "federated/adversary", "federated/divergence", "federated/internal/kernel", "federated/internal/robust"},
			"the exchange format depends on the model only: not on the distances, the server or the adversary"},
		{only("federated/mixture", "federated/internal/gauss"), []string{"federated/divergence", "federated/estimates", "federated/server", "federated/adversary", "federated/internal/kernel", "federated/internal/robust"},
			"the model knows nothing of the distances, the format, the server or the adversary"},
		{only("federated/divergence", "federated/internal/kernel"), []string{"federated/estimates", "federated/server", "federated/adversary", "federated/internal/robust"},
			"the distances know nothing of the format, the server or the adversary"},
		{only("federated/internal/robust"), []string{"federated/"},
			"the server's order statistics work on plain distances"},
		{func(path string) bool {
			// Commands (package main: cmd/..., examples/...) and the
			// experiments may play the adversary; tests are not listed here.
			p := pkgs[path]
			return !(p.Name == "main" || within(path, module+"/experiments") || within(path, module+"/federated/adversary"))
		}, []string{"federated/adversary"},
			"nothing in the product but the experiments, the commands and the tests imports the adversary"},
	}
}

// violations returns, for each rule, the packages of the module that break
// it and the forbidden package they reach.
func violations(pkgs map[string]listed) []string {
	var out []string
	for _, r := range dependencyRules(pkgs) {
		for path, p := range pkgs {
			if !within(path, module) || !r.from(path) {
				continue
			}
			for _, dep := range append(append([]string(nil), p.Imports...), p.Deps...) {
				for _, f := range r.forbidden {
					target := module + "/" + f
					hit := within(dep, strings.TrimSuffix(target, "/"))
					if strings.HasSuffix(f, "/") {
						hit = strings.HasPrefix(dep, target) // below it only
					}
					if hit && !within(dep, path) {
						out = append(out, path+" imports "+dep+": "+r.why)
					}
				}
			}
		}
	}
	return out
}

func TestDependenciesGoOneWay(t *testing.T) {
	pkgs := listModule(t)
	for _, p := range []string{"federated/mixture", "federated/divergence", "federated/estimates", "federated/server", "federated/adversary"} {
		if _, ok := pkgs[module+"/"+p]; !ok {
			t.Fatalf("go list does not know %s", p)
		}
	}
	seen := map[string]bool{}
	for _, v := range violations(pkgs) {
		if !seen[v] {
			seen[v] = true
			t.Error(v)
		}
	}
}

// The rules catch what they are meant to: a server that imports the
// adversary, a format that imports the server, and a product package that
// imports the adversary are all reported.
func TestDependencyRulesCatchForbiddenImports(t *testing.T) {
	pkgs := map[string]listed{}
	add := func(path, name string, imports ...string) {
		var full []string
		for _, i := range imports {
			full = append(full, module+"/"+i)
		}
		pkgs[module+"/"+path] = listed{ImportPath: module + "/" + path, Name: name, Imports: full}
	}
	add("federated/server", "server", "federated/adversary")
	add("federated/estimates", "estimates", "federated/server")
	add("eval", "eval", "federated/adversary")
	add("federated/mixture", "mixture", "federated/divergence")
	add("cmd/nistgmm", "main", "federated/adversary")
	add("experiments", "experiments", "federated/adversary")
	got := strings.Join(violations(pkgs), "\n")
	for _, want := range []string{
		"federated/server imports " + module + "/federated/adversary",
		"federated/estimates imports " + module + "/federated/server",
		"eval imports " + module + "/federated/adversary",
		"federated/mixture imports " + module + "/federated/divergence",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("no violation %q among:\n%s", want, got)
		}
	}
	for _, allowed := range []string{"cmd/nistgmm imports", "experiments imports"} {
		if strings.Contains(got, module+"/"+allowed) {
			t.Errorf("%s the adversary, which is allowed:\n%s", allowed, got)
		}
	}
}

// Importing the federated packages must not bring cgo or OpenBLAS: a
// library user builds with CGO_ENABLED=0 (see examples/library). Only the
// nistgmm command picks OpenBLAS, through internal/fastblas.
func TestLibraryNeedsNoCgo(t *testing.T) {
	pkgs := listModule(t)
	for path, p := range pkgs {
		if !within(path, module+"/federated") {
			continue
		}
		for _, dep := range append([]string{path}, p.Deps...) {
			d := pkgs[dep]
			if strings.Contains(dep, "fastblas") || strings.Contains(dep, "netlib") || len(d.CgoFiles) > 0 && dep != "runtime/cgo" {
				t.Errorf("%s depends on %s", path, dep)
			}
		}
	}
}
