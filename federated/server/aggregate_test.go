package server

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/nistgmm/nistgmm/federated/divergence"
	"github.com/nistgmm/nistgmm/federated/estimates"
	"github.com/nistgmm/nistgmm/federated/mixture"
)

// TestRobustMethodsFlagPlantedEstimates checks the paper's rules: COAT,
// CRED and ARED with eq. (5)'s radius, ARED flagging what its ball leaves
// out (an unhardened server; the hardened one flags by its verdicts).
func TestRobustMethodsFlagPlantedEstimates(t *testing.T) {
	for _, f := range []plantedFailure{letters, meanFailure, covFailure, weightFailure} {
		for _, dist := range []divergence.Distance{divergence.ISE, divergence.KL, divergence.CS} {
			if f == weightFailure && dist == divergence.CS {
				continue // CS is blind to weight changes of well-separated components
			}
			ests, byz, _ := plantedRound(t, f, 50, 15, 31)
			srv := &Server{Distance: dist, Radius: RadiusEq5, Unhardened: true}
			round, err := srv.Prepare(context.Background(), ests)
			if err != nil {
				t.Fatal(err)
			}
			if slices.Contains(byz, round.Coat) {
				t.Errorf("%s/%s: COAT %d is Byzantine", f, dist, round.Coat)
			}
			cred, err := round.Aggregate(context.Background(), CRED, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range cred.Kept {
				if slices.Contains(byz, k) {
					t.Errorf("%s/%s: CRED kept Byzantine %d", f, dist, k)
				}
			}
			if len(cred.Kept) < 25 {
				t.Errorf("%s/%s: CRED kept %d, want at least 25", f, dist, len(cred.Kept))
			}
			ared, err := round.Aggregate(context.Background(), ARED, nil)
			if err != nil {
				t.Fatal(err)
			}
			if dist == divergence.KL {
				// CTD-KL grows linearly in weight errors, so honest
				// distances have a heavier tail than eq. (5) allows for:
				// ARED may flag a few honest machines, never keep a
				// Byzantine one.
				for _, k := range ared.Kept {
					if slices.Contains(byz, k) {
						t.Errorf("%s/%s: ARED kept Byzantine %d", f, dist, k)
					}
				}
				if len(ared.Kept) < len(cred.Kept) {
					t.Errorf("%s/%s: ARED kept %d, fewer than CRED's %d", f, dist, len(ared.Kept), len(cred.Kept))
				}
				continue
			}
			if !slices.Equal(ared.Flagged, byz) {
				t.Errorf("%s/%s: ARED flagged %v, want %v", f, dist, ared.Flagged, byz)
			}
		}
	}
}

// The paper's ARED (an unhardened server) is the Oracle's reduction once it
// has found the Byzantine set; the hardened ARED combines componentwise and
// lands as near the truth (within 10% of the Oracle's divergence).
func TestGMRBeatsNothingAndOracleMatchesARED(t *testing.T) {
	for _, unhardened := range []bool{true, false} {
		oracleMatchesARED(t, unhardened)
	}
}

func oracleMatchesARED(t *testing.T, unhardened bool) {
	ests, byz, truth := plantedRound(t, meanFailure, 50, 10, 32)
	round, err := (&Server{Distance: divergence.ISE, Radius: RadiusEq5, Unhardened: unhardened}).Prepare(context.Background(), ests)
	if err != nil {
		t.Fatal(err)
	}
	oracle, err := round.Aggregate(context.Background(), Oracle, byz)
	if err != nil {
		t.Fatal(err)
	}
	ared, err := round.Aggregate(context.Background(), ARED, nil)
	if err != nil {
		t.Fatal(err)
	}
	gmr, err := round.Aggregate(context.Background(), GMR, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ared.Flagged, byz) || !slices.Equal(oracle.Flagged, byz) {
		t.Fatalf("ARED flagged %v, Oracle %v, want %v", ared.Flagged, oracle.Flagged, byz)
	}
	dO, err := divergence.KL.Between(truth, oracle.Mixture)
	if err != nil {
		t.Fatal(err)
	}
	dA, err := divergence.KL.Between(truth, ared.Mixture)
	if err != nil {
		t.Fatal(err)
	}
	dG, err := divergence.KL.Between(truth, gmr.Mixture)
	if err != nil {
		t.Fatal(err)
	}
	if unhardened && math.Abs(dO-dA) > 1e-12 {
		t.Errorf("ARED (%g) and Oracle (%g) differ though ARED found the Byzantine set", dA, dO)
	}
	if !unhardened && dA > 1.1*dO {
		t.Errorf("componentwise ARED is %g from the truth, Oracle %g", dA, dO)
	}
	t.Logf("unhardened %v: KL to the truth: Oracle %g, ARED %g", unhardened, dO, dA)
	if dG < 10*dO {
		t.Errorf("GMR with mean failures is %g from the truth, Oracle %g: failures had no effect?", dG, dO)
	}
}

func TestReductionsReturnACommonInput(t *testing.T) {
	g := randomMixture(newRNG(33), 4, 3, 3)
	var ests []estimates.Estimate
	for i := 0; i < 7; i++ {
		ests = append(ests, estimates.Estimate{ID: "m", N: 100 + i, Mixture: g.Clone()})
	}
	round, err := (&Server{}).Prepare(context.Background(), ests)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range Methods() {
		res, err := round.Aggregate(context.Background(), m, nil)
		if err != nil {
			t.Fatal(m, err)
		}
		d, err := divergence.ISE.Between(g, res.Mixture)
		if err != nil {
			t.Fatal(err)
		}
		if d > 1e-7 {
			t.Errorf("%s moved a common input by ISE %g", m, d)
		}
	}
}

func TestInvalidEstimatesAreListedNotFatal(t *testing.T) {
	ests, _, _ := plantedRound(t, meanFailure, 10, 0, 34)
	bad := func(f func(m *mixture.Mixture)) *mixture.Mixture { m := ests[0].Mixture.Clone(); f(m); return m }
	ests[1].Mixture = bad(func(m *mixture.Mixture) { m.Means[0][1] = math.NaN() })
	ests[2].Mixture = bad(func(m *mixture.Mixture) { m.Covs[1].SetSym(0, 0, -1) })
	ests[3].Mixture = bad(func(m *mixture.Mixture) { m.Weights[0] += 0.1 })
	ests[4].Mixture = bad(func(m *mixture.Mixture) { m.Weights = m.Weights[:2]; m.Means = m.Means[:2]; m.Covs = m.Covs[:2] })
	ests[5].Mixture = bad(func(m *mixture.Mixture) { m.Covs[0] = mat.NewSymDense(2, nil) })
	ests[6].N = 0
	ests[7].Mixture = nil
	round, err := (&Server{}).Prepare(context.Background(), ests)
	if err != nil {
		t.Fatal(err)
	}
	var idx []int
	for _, inv := range round.Invalid {
		idx = append(idx, inv.Index)
		if inv.Reason == "" {
			t.Errorf("estimate %d invalid without a reason", inv.Index)
		}
	}
	if want := []int{1, 2, 3, 4, 5, 6, 7}; !slices.Equal(idx, want) {
		t.Fatalf("invalid = %v, want %v", idx, want)
	}
	for _, m := range []Method{GMR, COAT, TRIM} {
		res, err := round.Aggregate(context.Background(), m, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := res.Mixture.Validate(); err != nil {
			t.Fatal(m, err)
		}
	}
}

func TestEstimatesRoundTripAndMalformedEntries(t *testing.T) {
	ests, _, _ := plantedRound(t, meanFailure, 3, 0, 35)
	var buf bytes.Buffer
	if err := estimates.EncodeEstimates(&buf, ests); err != nil {
		t.Fatal(err)
	}
	back, err := estimates.DecodeEstimates(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	for i := range ests {
		d, err := divergence.ISE.Between(ests[i].Mixture, back[i].Mixture)
		if err != nil {
			t.Fatal(err)
		}
		if back[i].ID != ests[i].ID || back[i].N != ests[i].N || d > 1e-12 {
			t.Fatalf("estimate %d changed in transit", i)
		}
	}
	doc := strings.Replace(buf.String(), `"n":2000`, `"n":"many"`, 1)
	doc = strings.Replace(doc, `"weights":[`, `"weights":[1e999,`, 1)
	back, err = estimates.DecodeEstimates(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	if back[0].Malformed == "" {
		t.Fatal("a machine with a string sample size was accepted")
	}
	if _, err := estimates.DecodeEstimates(strings.NewReader(`{"format":"other"}`)); err == nil {
		t.Fatal("wrong format accepted")
	}
}

// Hostile or careless entries make their own machine invalid, with a reason
// in the format's terms, and leave the others to be aggregated.
func TestEstimatesHostileEntries(t *testing.T) {
	ests, _, _ := plantedRound(t, meanFailure, 8, 0, 37)
	var buf bytes.Buffer
	if err := estimates.EncodeEstimates(&buf, ests); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Format   string           `json:"format"`
		Machines []map[string]any `json:"machines"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	doc.Machines[1]["means"].([]any)[0].([]any)[2] = nil // null in a mean
	delete(doc.Machines[2], "id")
	doc.Machines[3]["id"] = ""
	doc.Machines[6]["covariances"] = "none"
	// Bare tokens as Python's json.dump writes them, in machines 4 and 5;
	// a string that merely contains "NaN" must stay a string.
	doc.Machines[4]["means"].([]any)[0].([]any)[0] = "PH_NAN"
	doc.Machines[5]["weights"].([]any)[0] = "PH_NINF"
	doc.Format = estimates.EstimatesFormat
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(b), `"PH_NAN"`, `NaN`, 1)
	text = strings.Replace(text, `"PH_NINF"`, `-Infinity`, 1)
	text = strings.Replace(text, `"format":"`, `"note":"NaN Infinity inside a string","format":"`, 1)
	got, err := estimates.DecodeEstimates(strings.NewReader(text))
	if err != nil {
		t.Fatalf("one bad machine made the document fail: %v", err)
	}
	round, err := (&Server{}).Prepare(context.Background(), got)
	if err != nil {
		t.Fatal(err)
	}
	reasons := map[int]string{}
	for _, inv := range round.Invalid {
		reasons[inv.Index] = inv.Reason
		if strings.Contains(inv.Reason, "Go ") || strings.Contains(inv.Reason, "struct") {
			t.Errorf("machine %d: reason %q speaks of Go internals", inv.Index, inv.Reason)
		}
	}
	want := map[int]string{1: "null", 2: "missing or empty machine id", 3: "missing or empty machine id", 4: "NaN", 5: "Inf", 6: "covariances"}
	for i, w := range want {
		if !strings.Contains(reasons[i], w) {
			t.Errorf("machine %d: reason %q, want one mentioning %q", i, reasons[i], w)
		}
	}
	if len(round.Valid) != 2 {
		t.Errorf("%d valid machines, want the 2 untouched ones (reasons %v)", len(round.Valid), reasons)
	}
	if _, err := round.Aggregate(context.Background(), ARED, nil); err != nil {
		t.Fatal(err)
	}
}

func TestExtremeButValidEstimateIsFlaggedNotFatal(t *testing.T) {
	ests, _, _ := plantedRound(t, meanFailure, 9, 0, 37)
	ext := ests[0].Mixture.Clone()
	for k := range ext.Covs {
		ext.Covs[k].ScaleSym(1e-90, ext.Covs[k])
		for i := range ext.Means[k] {
			ext.Means[k][i] = 1e90
		}
	}
	ests[4].Mixture = ext
	for _, d := range []divergence.Distance{divergence.ISE, divergence.KL, divergence.CS} {
		rep, err := (&Server{Distance: d}).AggregateDocument(context.Background(), encode(t, ests), CRED, nil)
		if err != nil {
			t.Fatalf("%s: %v", d, err)
		}
		if !slices.Contains(rep.Flagged, ests[4].ID) {
			t.Fatalf("%s: extreme estimate kept: flagged %v", d, rep.Flagged)
		}
	}
}

func encode(t *testing.T, ests []estimates.Estimate) *bytes.Reader {
	var buf bytes.Buffer
	if err := estimates.EncodeEstimates(&buf, ests); err != nil {
		t.Fatal(err)
	}
	return bytes.NewReader(buf.Bytes())
}

// Estimates handed over decoded give the report the document of the same
// estimates gives, invalid and repeated ones included.
func TestAggregateEstimatesIsAggregateDocument(t *testing.T) {
	ests, byz, _ := plantedRound(t, meanFailure, 12, 3, 38)
	bad := func(f func(m *mixture.Mixture)) *mixture.Mixture { m := ests[0].Mixture.Clone(); f(m); return m }
	ests[1].Mixture = bad(func(m *mixture.Mixture) { m.Covs[1].SetSym(0, 0, -1) })
	ests[2].Mixture = bad(func(m *mixture.Mixture) { m.Weights[0] += 0.1 })
	ests[3].Mixture = bad(func(m *mixture.Mixture) { m.Weights = m.Weights[:2]; m.Means = m.Means[:2]; m.Covs = m.Covs[:2] })
	ests[4].N = 0
	ests[5].ID = ""
	ests[6].ID = ests[7].ID
	ests[8].N = 1 << 40
	for _, m := range []Method{ARED, GMR, TRIM, Oracle} {
		var ids []string
		if m == Oracle {
			for _, i := range byz {
				ids = append(ids, ests[i].ID)
			}
		}
		fromDoc, err := (&Server{Seed: 3}).AggregateDocument(context.Background(), encode(t, ests), m, ids)
		if err != nil {
			t.Fatal(err)
		}
		direct, err := (&Server{Seed: 3}).AggregateEstimates(context.Background(), ests, m, ids)
		if err != nil {
			t.Fatal(err)
		}
		a, _ := json.Marshal(fromDoc)
		b, _ := json.Marshal(direct)
		if !bytes.Equal(a, b) {
			t.Fatalf("%s: the decoded estimates' report differs from the document's:\n%s\nvs\n%s", m, b, a)
		}
		if len(fromDoc.Invalid) != 7 {
			t.Errorf("%s: %d invalid estimates, want 7: %v", m, len(fromDoc.Invalid), fromDoc.Invalid)
		}
	}
	if ests[5].ID != "" || ests[6].Mixture == nil {
		t.Fatal("AggregateEstimates changed its input")
	}
}
