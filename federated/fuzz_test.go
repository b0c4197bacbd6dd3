package federated

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
)

// FuzzAggregateDocument feeds arbitrary estimates documents to the whole
// server path: decoding, validation, distances and every method. It may
// return errors; it must never panic, and a report must be encodable.
func FuzzAggregateDocument(f *testing.F) {
	ests := []Estimate{}
	rng := newRNG(41)
	for i := 0; i < 4; i++ {
		ests = append(ests, Estimate{ID: string(rune('a' + i)), N: 100, Mixture: randomMixture(rng, 2, 2, 2)})
	}
	var buf bytes.Buffer
	if err := EncodeEstimates(&buf, ests); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte(`{"format":"nistgmm/estimates/v1","machines":[{"id":"x","n":5,"weights":[1],"means":[[0]],"covariances":[[[-1]]]}]}`))
	f.Add([]byte(`{"format":"nistgmm/estimates/v1","machines":[{"id":"x","n":5,"weights":[0.5,0.5],"means":[[0],[1,2]],"covariances":[[[1]],[[1]]]}]}`))
	f.Add([]byte(`{"format":"nistgmm/estimates/v1","machines":[null,{},{"weights":[1e308]}]}`))
	f.Add([]byte(`{"format":"nistgmm/estimates/v1","machines":[{"id":"x","n":5,"weights":[NaN],"means":[[-Infinity]],"covariances":[[[Infinity]]]}]}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		for _, m := range Methods() {
			for _, d := range Distances() {
				// The exact search and the one at scale, here over every
				// estimate with a single random candidate.
				for _, srv := range []*Server{{Distance: d, MaxIter: 50}, {Distance: d, MaxIter: 50, Centre: CentreSampled, Candidates: 1, Refined: 1}} {
					rep, err := srv.AggregateDocument(context.Background(), bytes.NewReader(doc), m, []string{"a"})
					if err != nil {
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
