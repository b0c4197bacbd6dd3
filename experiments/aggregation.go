package experiments

import "github.com/nistgmm/nistgmm/federated"

// Aggregation is the server's settings, shared by every experiment: the
// distance, ARED's radius rule and its constant, eq. (5)'s power and the
// single start (see federated.Server).
type Aggregation struct {
	Distance    federated.Distance   `json:"distance"`
	Radius      federated.RadiusRule `json:"ared_radius"`
	RadiusScale float64              `json:"ared_radius_scale"`
	AREDPower   float64              `json:"ared_power"`
	SingleStart bool                 `json:"single_start"`
	// Unhardened follows the paper where it trusts the machines (reported
	// sample sizes, copies as votes, ARED's plain reduction); see
	// federated.Server.Unhardened.
	Unhardened bool `json:"unhardened,omitempty"`
}

// DefaultAggregation is the product's default: the Jeffreys distance,
// ARED's robust radius and a multi-start reduction (README).
func DefaultAggregation() Aggregation {
	return Aggregation{Distance: federated.Jeffreys, Radius: federated.RadiusRobust}
}

func (a Aggregation) server(k int, seed uint64, workers int) *federated.Server {
	return &federated.Server{K: k, Distance: a.Distance, Radius: a.Radius, RadiusScale: a.RadiusScale,
		AREDPower: a.AREDPower, SingleStart: a.SingleStart, Unhardened: a.Unhardened, Seed: seed, Workers: workers}
}
