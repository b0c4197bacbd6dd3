// Package federation holds what the coordinator and the sites share: the
// conversion of estimates to and from the wire (protobuf, version 1 of the
// API in federation/proto/v1) and the commitment that binds a site to its
// estimate before it sees anyone else's.
//
// Subpackages: pki (the certificate authority and TLS), store (the
// coordinator's durable state), coordinator (the gRPC service and its
// rounds), site (the client), status (the status page and metrics).
package federation

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"math"

	"github.com/nistgmm/nistgmm/federated/estimates"
	"github.com/nistgmm/nistgmm/federated/mixture"
	pb "github.com/nistgmm/nistgmm/federation/proto/v1"
	"gonum.org/v1/gonum/mat"
	"google.golang.org/protobuf/proto"
)

// NonceSize is the length of a commitment's nonce.
const NonceSize = 32

// commitDomain separates the federation's commitments from any other use
// of SHA-256 over the same bytes.
var commitDomain = []byte("nistgmm/federation/v1/commit\x00")

// Commitment is SHA-256(domain || nonce || estimate), estimate being the
// serialized Estimate exactly as revealed.
func Commitment(nonce, estimate []byte) []byte {
	h := sha256.New()
	h.Write(commitDomain)
	h.Write(nonce)
	h.Write(estimate)
	return h.Sum(nil)
}

// Matches reports whether a reveal opens commitment, in constant time.
func Matches(commitment, nonce, estimate []byte) bool {
	return len(nonce) == NonceSize && subtle.ConstantTimeCompare(commitment, Commitment(nonce, estimate)) == 1
}

// NewNonce draws a nonce from the system's random source.
func NewNonce() ([]byte, error) {
	b := make([]byte, NonceSize)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("nonce: %w", err)
	}
	return b, nil
}

// MarshalEstimate serializes a site's estimate for round as the bytes it
// commits to and reveals. site may be "" (the certificate names the site).
func MarshalEstimate(site string, round uint64, n int, m *mixture.Mixture) ([]byte, error) {
	if m == nil || m.K() == 0 {
		return nil, errors.New("estimate: no mixture")
	}
	k, d := m.K(), m.Dim()
	pm := &pb.Mixture{K: uint32(k), D: uint32(d), Weights: append([]float64(nil), m.Weights...),
		Means: make([]float64, 0, k*d), Covariances: make([]float64, 0, k*d*d)}
	for c := 0; c < k; c++ {
		if len(m.Means[c]) != d || m.Covs[c] == nil || m.Covs[c].SymmetricDim() != d {
			return nil, fmt.Errorf("estimate: component %d is not of dimension %d", c, d)
		}
		pm.Means = append(pm.Means, m.Means[c]...)
		for i := 0; i < d; i++ {
			for j := 0; j < d; j++ {
				pm.Covariances = append(pm.Covariances, m.Covs[c].At(i, j))
			}
		}
	}
	return proto.MarshalOptions{Deterministic: true}.Marshal(&pb.Estimate{SiteId: site, RoundId: round, N: int64(n), Mixture: pm})
}

// Expect is what a round requires of an estimate.
type Expect struct {
	Site  string // the certificate's name
	Round uint64
	K, D  int
	// MaxN bounds the reported sample size (0: no bound beyond int).
	MaxN int64
}

// UnmarshalEstimate decodes and checks a revealed estimate: well-formed
// protobuf, the site and round of the caller, order K and dimension D,
// every number finite, a valid mixture (weights summing to 1, covariances
// symmetric positive definite). Every error says what is wrong.
func UnmarshalEstimate(b []byte, want Expect) (estimates.Estimate, error) {
	var e pb.Estimate
	if err := proto.Unmarshal(b, &e); err != nil {
		return estimates.Estimate{}, fmt.Errorf("estimate is not a protobuf Estimate: %w", err)
	}
	// proto3 ignores unknown fields; a re-encoding that differs means the
	// sender added bytes the commitment covers but the estimate does not.
	if len(e.ProtoReflect().GetUnknown()) > 0 {
		return estimates.Estimate{}, errors.New("estimate has fields unknown to API v1")
	}
	if e.SiteId != "" && e.SiteId != want.Site {
		return estimates.Estimate{}, fmt.Errorf("estimate names site %q but the certificate is %q", e.SiteId, want.Site)
	}
	if e.RoundId != want.Round {
		return estimates.Estimate{}, fmt.Errorf("estimate is for round %d, not round %d", e.RoundId, want.Round)
	}
	if e.N < 1 || (want.MaxN > 0 && e.N > want.MaxN) || e.N > math.MaxInt32 {
		return estimates.Estimate{}, fmt.Errorf("estimate reports n = %d observations, want 1 to %d", e.N, max(want.MaxN, math.MaxInt32))
	}
	pm := e.Mixture
	if pm == nil {
		return estimates.Estimate{}, errors.New("estimate has no mixture")
	}
	k, d := int(pm.K), int(pm.D)
	if k != want.K || d != want.D {
		return estimates.Estimate{}, fmt.Errorf("estimate has order K = %d in dimension d = %d; this round wants K = %d, d = %d", k, d, want.K, want.D)
	}
	if len(pm.Weights) != k || len(pm.Means) != k*d || len(pm.Covariances) != k*d*d {
		return estimates.Estimate{}, fmt.Errorf("estimate has %d weights, %d mean entries, %d covariance entries; K = %d, d = %d wants %d, %d, %d",
			len(pm.Weights), len(pm.Means), len(pm.Covariances), k, d, k, k*d, k*d*d)
	}
	for name, xs := range map[string][]float64{"weights": pm.Weights, "means": pm.Means, "covariances": pm.Covariances} {
		for i, x := range xs {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return estimates.Estimate{}, fmt.Errorf("estimate's %s entry %d is %v", name, i, x)
			}
		}
	}
	m := &mixture.Mixture{Weights: append([]float64(nil), pm.Weights...)}
	for c := 0; c < k; c++ {
		m.Means = append(m.Means, append([]float64(nil), pm.Means[c*d:(c+1)*d]...))
		// The upper triangle, stored in both, as the estimates' JSON
		// decoder stores it (the server's factorizations share it), in
		// the decoded message's own array.
		full := pm.Covariances[c*d*d : (c+1)*d*d : (c+1)*d*d]
		for i := 0; i < d; i++ {
			for j := i; j < d; j++ {
				a, b := full[i*d+j], full[j*d+i]
				if math.Abs(a-b) > 1e-9*math.Max(1, math.Max(math.Abs(a), math.Abs(b))) {
					return estimates.Estimate{}, fmt.Errorf("estimate's covariance %d is not symmetric at (%d,%d): %v vs %v", c, i, j, a, b)
				}
				full[j*d+i] = a
			}
		}
		m.Covs = append(m.Covs, mat.NewSymDense(d, full))
	}
	if err := m.Validate(); err != nil {
		return estimates.Estimate{}, fmt.Errorf("estimate is not a valid mixture: %w", err)
	}
	return estimates.Estimate{ID: want.Site, N: int(e.N), Mixture: m}, nil
}

// EstimatesDocument encodes ests as an estimates file (the format of
// 'nistgmm aggregate').
func EstimatesDocument(ests []estimates.Estimate) ([]byte, error) {
	var buf bytes.Buffer
	if err := estimates.EncodeEstimates(&buf, ests); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
