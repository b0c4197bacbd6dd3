package main

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"codeberg.org/sbinet/npyio/npy"
	"gonum.org/v1/gonum/mat"

	"github.com/nistgmm/nistgmm/federated/server"
)

// TestFitAggregateScore drives the three server-side commands on a toy
// two-cluster data set, with one machine sending a NaN estimate.
func TestFitAggregateScore(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	writeNpy := func(name string, v any) string {
		p := filepath.Join(dir, name)
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := npy.Write(f, v); err != nil {
			t.Fatal(err)
		}
		return p
	}
	draw := func(n int) (*mat.Dense, []int64) {
		X := mat.NewDense(n, 2, nil)
		y := make([]int64, n)
		for i := 0; i < n; i++ {
			y[i] = int64(i % 2)
			X.Set(i, 0, 8*float64(y[i])+rng.NormFloat64())
			X.Set(i, 1, rng.NormFloat64())
		}
		return X, y
	}
	est := filepath.Join(dir, "est.json")
	for i := 0; i < 5; i++ {
		X, _ := draw(300)
		p := writeNpy("m.npy", X)
		id := "m" + string(rune('0'+i))
		if err := cmdFitLocal(context.Background(), []string{"--data", p, "--k", "2", "--id", id, "--out", est}); err != nil {
			t.Fatal(err)
		}
	}
	// A sixth machine transmits garbage.
	data, err := os.ReadFile(est)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	json.Unmarshal(data, &doc)
	ms := doc["machines"].([]any)
	bad := map[string]any{"id": "evil", "n": 300, "weights": []any{0.5, 0.5}, "means": []any{[]any{"NaN", 0}, []any{1, 1}},
		"covariances": ms[0].(map[string]any)["covariances"]}
	doc["machines"] = append(ms, bad)
	if data, err = json.Marshal(doc); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(est, data, 0o644)

	agg := filepath.Join(dir, "agg.json")
	if err := cmdAggregate(context.Background(), []string{"--estimates", est, "--method", "gmr", "--out", agg}); err != nil {
		t.Fatal(err)
	}
	var rep server.Report
	if data, err = os.ReadFile(agg); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Invalid) != 1 || rep.Invalid[0].ID != "evil" || len(rep.Kept) != 5 {
		t.Fatalf("invalid %v, kept %v", rep.Invalid, rep.Kept)
	}
	// The invalid one is in invalid only, not among the flagged.
	for _, method := range []string{"gmr", "ared", "trim"} {
		if err := cmdAggregate(context.Background(), []string{"--estimates", est, "--method", method, "--out", agg}); err != nil {
			t.Fatal(err)
		}
		data, _ = os.ReadFile(agg)
		var r server.Report
		json.Unmarshal(data, &r)
		if slices.Contains(r.Flagged, "evil") || len(r.Invalid) != 1 {
			t.Errorf("%s: flagged %v, invalid %v", method, r.Flagged, r.Invalid)
		}
	}
	// Declaring an order no estimate has says which orders there are.
	err = cmdAggregate(context.Background(), []string{"--estimates", est, "--k", "4", "--out", agg})
	if err == nil || !strings.Contains(err.Error(), "none has the declared order 4") || !strings.Contains(err.Error(), "of order 2 in dimension 2") {
		t.Errorf("aggregate --k 4 on order-2 estimates: %v", err)
	}
	X, y := draw(400)
	xp, yp := writeNpy("x.npy", X), writeNpy("y.npy", y)
	out := captureStdout(t, func() {
		if err := cmdScore(context.Background(), []string{"--mixture", agg, "--features", xp, "--labels", yp}); err != nil {
			t.Fatal(err)
		}
	})
	if !strings.HasPrefix(out, "ARI 1.0") && !strings.HasPrefix(out, "ARI 0.99") {
		t.Fatalf("ARI on two far-apart clusters: %q", out)
	}
}

func captureStdout(t *testing.T, f func()) string {
	t.Helper()
	r, w, _ := os.Pipe()
	old := os.Stdout
	os.Stdout = w
	f()
	w.Close()
	os.Stdout = old
	buf := make([]byte, 1<<16)
	n, _ := r.Read(buf)
	return string(buf[:n])
}
