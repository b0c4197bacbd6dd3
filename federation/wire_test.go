package federation

import (
	"math"
	"strings"
	"testing"

	"github.com/nistgmm/nistgmm/federated/mixture"

	pb "github.com/nistgmm/nistgmm/federation/proto/v1"
	"gonum.org/v1/gonum/mat"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

func testMixture(k, d int) *mixture.Mixture {
	m := &mixture.Mixture{}
	for c := 0; c < k; c++ {
		m.Weights = append(m.Weights, 1/float64(k))
		mu := make([]float64, d)
		for j := range mu {
			mu[j] = float64(c*d + j)
		}
		m.Means = append(m.Means, mu)
		s := mat.NewSymDense(d, nil)
		for j := 0; j < d; j++ {
			s.SetSym(j, j, 1+float64(j))
		}
		if d > 1 {
			s.SetSym(0, 1, 0.25)
		}
		m.Covs = append(m.Covs, s)
	}
	return m
}

func TestEstimateRoundTripAndCommitment(t *testing.T) {
	m := testMixture(3, 4)
	b, err := MarshalEstimate("s1", 7, 123, m)
	if err != nil {
		t.Fatal(err)
	}
	e, err := UnmarshalEstimate(b, Expect{Site: "s1", Round: 7, K: 3, D: 4})
	if err != nil {
		t.Fatal(err)
	}
	if e.ID != "s1" || e.N != 123 || e.Mixture.Covs[2].At(1, 0) != 0.25 || e.Mixture.Means[1][2] != 6 {
		t.Fatalf("round trip gave %+v", e)
	}
	nonce, _ := NewNonce()
	c := Commitment(nonce, b)
	if !Matches(c, nonce, b) {
		t.Fatal("a reveal does not match its own commitment")
	}
	other := append([]byte(nil), b...)
	other[len(other)-1] ^= 1
	if Matches(c, nonce, other) || Matches(c, nonce[:31], b) {
		t.Fatal("a changed estimate or a short nonce matches")
	}
	for _, c := range []struct {
		want Expect
		text string
	}{
		{Expect{Site: "s2", Round: 7, K: 3, D: 4}, "certificate"},
		{Expect{Site: "s1", Round: 8, K: 3, D: 4}, "round 7"},
		{Expect{Site: "s1", Round: 7, K: 2, D: 4}, "K = 3"},
		{Expect{Site: "s1", Round: 7, K: 3, D: 5}, "d = 4"},
		{Expect{Site: "s1", Round: 7, K: 3, D: 4, MaxN: 100}, "n = 123"},
	} {
		if _, err := UnmarshalEstimate(b, c.want); err == nil || !strings.Contains(err.Error(), c.text) {
			t.Errorf("%+v: %v, want an error saying %q", c.want, err, c.text)
		}
	}
}

func TestUnmarshalRefusals(t *testing.T) {
	want := Expect{Site: "s1", Round: 1, K: 1, D: 2}
	enc := func(e *pb.Estimate) []byte { b, _ := proto.Marshal(e); return b }
	good := func() *pb.Estimate {
		return &pb.Estimate{RoundId: 1, N: 10, Mixture: &pb.Mixture{K: 1, D: 2, Weights: []float64{1}, Means: []float64{0, 0}, Covariances: []float64{1, 0, 0, 1}}}
	}
	if _, err := UnmarshalEstimate(enc(good()), want); err != nil {
		t.Fatal(err)
	}
	type refusal struct {
		b    []byte
		text string
	}
	cases := map[string]refusal{}
	e := good()
	e.Mixture.Means[1] = math.Inf(1)
	cases["inf"] = refusal{enc(e), "+Inf"}
	e = good()
	e.Mixture.Covariances = []float64{1, 0, 0, -1}
	cases["not positive definite"] = refusal{enc(e), "valid mixture"}
	e = good()
	e.Mixture.Covariances = []float64{1, 0.5, 0, 1}
	cases["not symmetric"] = refusal{enc(e), "symmetric"}
	e = good()
	e.Mixture.Weights = []float64{0.5}
	cases["weights"] = refusal{enc(e), "valid mixture"}
	e = good()
	e.N = 0
	cases["n"] = refusal{enc(e), "n = 0"}
	e = good()
	e.Mixture = nil
	cases["no mixture"] = refusal{enc(e), "no mixture"}
	unknown := protowire.AppendTag(enc(good()), 99, protowire.VarintType)
	unknown = protowire.AppendVarint(unknown, 1)
	cases["unknown field"] = refusal{unknown, "unknown"}
	cases["truncated"] = refusal{enc(good())[:5], "not a protobuf"}
	for name, c := range cases {
		if _, err := UnmarshalEstimate(c.b, want); err == nil || !strings.Contains(err.Error(), c.text) {
			t.Errorf("%s: %v, want an error saying %q", name, err, c.text)
		}
	}
}

// FuzzUnmarshalEstimate: no input makes the decoder panic, and whatever
// it accepts is a valid mixture of the expected shape.
func FuzzUnmarshalEstimate(f *testing.F) {
	b, _ := MarshalEstimate("", 1, 10, testMixture(2, 2))
	f.Add(b)
	f.Add([]byte{0x0a, 0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := UnmarshalEstimate(data, Expect{Site: "s", Round: 1, K: 2, D: 2})
		if err != nil {
			return
		}
		if e.Mixture.K() != 2 || e.Mixture.Dim() != 2 || e.Mixture.Validate() != nil {
			t.Fatalf("accepted an estimate of K = %d, d = %d", e.Mixture.K(), e.Mixture.Dim())
		}
	})
}
