package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/nistgmm/nistgmm/federated/divergence"
	"github.com/nistgmm/nistgmm/federated/estimates"
)

// FuzzAggregateDocument feeds arbitrary estimates documents to the whole
// server path: decoding, validation, distances and every method. It must
// never panic, a report must be encodable, and a document that decodes may
// fail only as a whole round can: no valid estimate, no majority shape, or
// a Byzantine id it does not hold. Whatever a machine sends, it is judged
// on its own (invalid, set aside, flagged), never a reason to stop.
func FuzzAggregateDocument(f *testing.F) {
	ests := []estimates.Estimate{}
	rng := newRNG(41)
	for i := 0; i < 4; i++ {
		ests = append(ests, estimates.Estimate{ID: string(rune('a' + i)), N: 100, Mixture: randomMixture(rng, 2, 2, 2)})
	}
	var buf bytes.Buffer
	if err := estimates.EncodeEstimates(&buf, ests); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte(`{"format":"nistgmm/estimates/v1","machines":[{"id":"x","n":5,"weights":[1],"means":[[0]],"covariances":[[[-1]]]}]}`))
	f.Add([]byte(`{"format":"nistgmm/estimates/v1","machines":[{"id":"x","n":5,"weights":[0.5,0.5],"means":[[0],[1,2]],"covariances":[[[1]],[[1]]]}]}`))
	f.Add([]byte(`{"format":"nistgmm/estimates/v1","machines":[null,{},{"weights":[1e308]}]}`))
	f.Add([]byte(`{"format":"nistgmm/estimates/v1","machines":[{"id":"x","n":5,"weights":[NaN],"means":[[-Infinity]],"covariances":[[[Infinity]]]}]}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		if _, err := estimates.DecodeEstimates(bytes.NewReader(doc)); err != nil {
			return
		}
		for _, m := range Methods() {
			for _, d := range divergence.Distances() {
				// The exact search and the one at scale, here over every
				// estimate with a single random candidate.
				for _, srv := range []*Server{{Distance: d, MaxIter: 50}, {Distance: d, MaxIter: 50, Centre: CentreSampled, Candidates: 1, Refined: 1}} {
					rep, err := srv.AggregateDocument(context.Background(), bytes.NewReader(doc), m, []string{"a"})
					if err != nil {
						if !roundWideError(err) {
							t.Fatalf("%s/%s/%q: one machine's estimate stopped the round: %v", m, d, srv.Centre, err)
						}
						continue
					}
					if _, err := json.Marshal(rep); err != nil {
						t.Fatalf("%s/%s/%q report does not encode: %v", m, d, srv.Centre, err)
					}
				}
			}
		}
	})
}

// roundWideError reports whether err is about the round as a whole rather
// than about one machine's estimate.
func roundWideError(err error) bool {
	msg := err.Error()
	return errors.Is(err, ErrNoValidEstimate) || strings.Contains(msg, "no shape is shared") ||
		strings.Contains(msg, "the Byzantine list names")
}
