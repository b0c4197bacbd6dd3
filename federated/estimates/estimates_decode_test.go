package estimates

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// mutatedDocuments returns estimates documents made from a valid one by
// random damage: fields deleted or replaced by values of every JSON kind,
// numbers turned into nulls, strings or the NaN strings, ids repeated or
// emptied, arrays cut or extended, machines replaced by non-objects.
func mutatedDocuments(t testing.TB, count int, seed uint64) []string {
	rng := rand.New(rand.NewPCG(seed, 1))
	var buf bytes.Buffer
	ests := []Estimate{
		{ID: "a", N: 10, Mixture: randomMixture(newRNG(1), 2, 2, 1)},
		{ID: "b", N: 20, Mixture: randomMixture(newRNG(2), 2, 2, 1)},
		{ID: "c", N: 30, Mixture: randomMixture(newRNG(3), 2, 2, 1)},
	}
	if err := EncodeEstimates(&buf, ests); err != nil {
		t.Fatal(err)
	}
	kinds := []any{nil, true, "x", "NaN", "-Infinity", 3.5, 7, 1e300, map[string]any{"k": 1}, []any{}, []any{1.0, "y"}, "", "a"}
	// Where a number belongs, also the bare tokens Python writes (as
	// placeholders replaced after encoding).
	deep := append([]any{"BARE_NAN", "BARE_NINF", "BARE_INF"}, kinds...)
	var docs []string
	for len(docs) < count {
		var doc map[string]any
		if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		machines := doc["machines"].([]any)
		for n := 1 + rng.IntN(3); n > 0; n-- {
			i := rng.IntN(len(machines))
			m, ok := machines[i].(map[string]any)
			if !ok {
				continue
			}
			keys := []string{"id", "n", "weights", "means", "covariances"}
			key := keys[rng.IntN(len(keys))]
			switch rng.IntN(6) {
			case 0:
				delete(m, key)
			case 1:
				m[key] = kinds[rng.IntN(len(kinds))]
			case 2: // damage one number deep inside
				if arr, ok := m[key].([]any); ok && len(arr) > 0 {
					j := rng.IntN(len(arr))
					if inner, ok := arr[j].([]any); ok && len(inner) > 0 {
						inner[rng.IntN(len(inner))] = deep[rng.IntN(len(deep))]
					} else {
						arr[j] = deep[rng.IntN(len(deep))]
					}
				}
			case 3: // ragged: cut or extend an array
				if arr, ok := m[key].([]any); ok && len(arr) > 0 {
					if rng.IntN(2) == 0 {
						m[key] = arr[:len(arr)-1]
					} else {
						m[key] = append(arr, arr[0])
					}
				}
			case 4:
				machines[i] = kinds[rng.IntN(len(kinds))]
			case 5:
				m["extra"] = map[string]any{"nested": []any{1, "z", nil}}
				m["id"] = []string{"a", "b", "c"}[rng.IntN(3)]
			}
		}
		if rng.IntN(10) == 0 {
			doc["format"] = kinds[rng.IntN(len(kinds))]
		}
		b, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		text := strings.NewReplacer(`"BARE_NAN"`, `NaN`, `"BARE_NINF"`, `-Infinity`, `"BARE_INF"`, `Infinity`).Replace(string(b))
		docs = append(docs, text)
	}
	return docs
}

// sameDecoding reports how two decodings of one document differ, "" when
// they agree entry by entry: id, n, the reason an entry is malformed, and
// every number of the mixtures.
func sameDecoding(got, want []Estimate, gotErr, wantErr error) string {
	if (gotErr == nil) != (wantErr == nil) {
		return fmt.Sprintf("error %v, reference %v", gotErr, wantErr)
	}
	if gotErr != nil {
		return ""
	}
	if len(got) != len(want) {
		return fmt.Sprintf("%d entries, reference %d", len(got), len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.ID != w.ID || g.Malformed != w.Malformed {
			return fmt.Sprintf("entry %d: id %q malformed %q, reference id %q malformed %q", i, g.ID, g.Malformed, w.ID, w.Malformed)
		}
		if w.Malformed == "" && g.N != w.N {
			return fmt.Sprintf("entry %d: n %d, reference %d", i, g.N, w.N)
		}
		if (g.Mixture == nil) != (w.Mixture == nil) {
			return fmt.Sprintf("entry %d: mixture %v, reference %v", i, g.Mixture != nil, w.Mixture != nil)
		}
		if g.Mixture == nil {
			continue
		}
		same := func(a, b float64) bool { return a == b || math.IsNaN(a) && math.IsNaN(b) }
		for k := range w.Mixture.Weights {
			if !same(g.Mixture.Weights[k], w.Mixture.Weights[k]) {
				return fmt.Sprintf("entry %d: weight %d differs", i, k)
			}
			for j := range w.Mixture.Means[k] {
				if !same(g.Mixture.Means[k][j], w.Mixture.Means[k][j]) {
					return fmt.Sprintf("entry %d: mean %d differs", i, k)
				}
				for l := range w.Mixture.Means[k] {
					if !same(g.Mixture.Covs[k].At(j, l), w.Mixture.Covs[k].At(j, l)) {
						return fmt.Sprintf("entry %d: covariance %d differs", i, k)
					}
				}
			}
		}
	}
	return ""
}

// The streaming decoder gives, entry by entry, what the tree decoder it
// replaced gave, on hundreds of damaged documents.
func TestDecodeEstimatesAgreesWithTreeDecoder(t *testing.T) {
	docs := mutatedDocuments(t, 600, 7)
	malformed := 0
	for _, doc := range docs {
		got, gotErr := DecodeEstimates(strings.NewReader(doc))
		want, wantErr := referenceDecodeEstimates(strings.NewReader(doc))
		if diff := sameDecoding(got, want, gotErr, wantErr); diff != "" {
			t.Fatalf("%s\ndocument: %s", diff, doc)
		}
		for _, e := range want {
			if e.Malformed != "" {
				malformed++
			}
		}
	}
	if malformed < 300 {
		t.Fatalf("only %d malformed entries in %d documents: the damage is too mild to test anything", malformed, len(docs))
	}
}

// Documents that are not JSON are refused by both decoders; their syntax
// errors say where.
func TestDecodeEstimatesRefusesBrokenJSON(t *testing.T) {
	good := `{"format":"nistgmm/estimates/v1","machines":[{"id":"a","n":1,"weights":[1],"means":[[0]],"covariances":[[[1]]]}]}`
	if _, err := DecodeEstimates(strings.NewReader(good)); err != nil {
		t.Fatal(err)
	}
	for _, doc := range []string{
		"", "   ", "[1]", good[:len(good)-1], good + "x", good + "{}",
		strings.Replace(good, `"n":1`, `"n":01`, 1),
		strings.Replace(good, `"n":1`, `"n":1.`, 1),
		strings.Replace(good, `"n":1`, `"n":-`, 1),
		strings.Replace(good, `"n":1`, `"n":Inf`, 1),
		strings.Replace(good, `"n":1`, `"n":nan`, 1),
		strings.Replace(good, `"id":"a"`, `"id":"a\q"`, 1),
		strings.Replace(good, `"id":"a"`, "\"id\":\"a\x01\"", 1),
		strings.Replace(good, `"id":"a"`, `"id":"a",`, 1),
		strings.Replace(good, `"id":"a"`, `"id" "a"`, 1),
		strings.Replace(good, `[[0]]`, `[[0],]`, 1),
		strings.Replace(good, `"machines":[`, `"machines":"`, 1),
	} {
		_, gotErr := DecodeEstimates(strings.NewReader(doc))
		_, wantErr := referenceDecodeEstimates(strings.NewReader(doc))
		if gotErr == nil || wantErr == nil {
			t.Errorf("%q: error %v, reference %v; want both to refuse", doc, gotErr, wantErr)
		}
	}
	_, err := DecodeEstimates(strings.NewReader(strings.Replace(good, `[[0]]`, `[[0],]`, 1)))
	if !strings.Contains(err.Error(), "at byte") {
		t.Errorf("syntax error %q does not say where", err)
	}
}

// Escapes, surrogate pairs and invalid UTF-8 in ids decode as encoding/json
// decodes them.
func TestDecodeEstimatesStrings(t *testing.T) {
	for _, id := range []string{`a\"b`, `\u00e9t\u00e9`, `\ud83d\ude00`, `\ud83d`, `\ud83dx`, `\ud83d\n`, `\ude00`, "\xff\xfe", `\/\b\f\n\r\t`} {
		doc := `{"format":"nistgmm/estimates/v1","machines":[{"id":"` + id + `","n":1,"weights":[1],"means":[[0]],"covariances":[[[1]]]}]}`
		got, gotErr := DecodeEstimates(strings.NewReader(doc))
		want, wantErr := referenceDecodeEstimates(strings.NewReader(doc))
		if diff := sameDecoding(got, want, gotErr, wantErr); diff != "" {
			t.Errorf("id %q: %s", id, diff)
		}
	}
}

// FuzzDecodeEstimates checks the streaming decoder against the tree
// decoder on arbitrary documents: both refuse, or both give the same
// entries. (Bare NaN and Infinity tokens outside number arrays are left
// out: the tree decoder turned them into strings wherever they stood.)
func FuzzDecodeEstimates(f *testing.F) {
	for _, doc := range mutatedDocuments(f, 40, 9) {
		f.Add(doc)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		if strings.Contains(doc, "NaN") || strings.Contains(doc, "Infinity") {
			return
		}
		got, gotErr := DecodeEstimates(strings.NewReader(doc))
		want, wantErr := referenceDecodeEstimates(strings.NewReader(doc))
		if diff := sameDecoding(got, want, gotErr, wantErr); diff != "" {
			t.Fatalf("%s\ndocument: %q", diff, doc)
		}
	})
}
