package experiments

import (
	"fmt"

	"github.com/nistgmm/nistgmm/federated/divergence"
	"github.com/nistgmm/nistgmm/federated/server"
)

// Aggregation is the server's settings, shared by every experiment: the
// distance, ARED's radius rule and its constant, eq. (5)'s power and the
// single start (see server.Server).
type Aggregation struct {
	Distance    divergence.Distance `json:"distance"`
	Radius      server.RadiusRule   `json:"ared_radius"`
	RadiusScale float64             `json:"ared_radius_scale"`
	AREDPower   float64             `json:"ared_power"`
	SingleStart bool                `json:"single_start"`
	// Hardening is HardeningFull (the default; "" means it too) or
	// HardeningNone, which follows the paper where it trusts the machines
	// (reported sample sizes, copies as votes, ARED's plain reduction); see
	// server.Server.Unhardened. It is always written to the
	// configuration, so that a checkpoint made before the hardened server
	// existed (which has no such key) is never resumed as one made by it.
	Hardening string `json:"hardening"`
	// Centre is how COAT is found ("" exact up to ExactUpTo valid
	// estimates, sampled above; see server.CentreSearch), with the
	// sampled search's Candidates and Refined (0: the defaults).
	Centre     server.CentreSearch `json:"centre,omitempty"`
	ExactUpTo  int                 `json:"exact_up_to,omitempty"`
	Candidates int                 `json:"candidates,omitempty"`
	Refined    int                 `json:"refined,omitempty"`
	// FlagLevel is the verdicts' family-wise level (0: the default 1%).
	FlagLevel float64 `json:"flag_level,omitempty"`
	// Rules names the version of the hardened server's rules the results
	// were computed under (RulesVersion). It is always written, so that a
	// checkpoint made under earlier rules (copies set aside by position,
	// ARED flagging its ball) is never resumed under these.
	Rules string `json:"rules"`
}

// RulesVersion is the Rules of every configuration this version writes.
const RulesVersion = "copies-once-verdicts-trend-floors"

// The values of Aggregation.Hardening.
const (
	HardeningFull = "full"
	HardeningNone = "none"
)

// DefaultAggregation is the product's default: the Jeffreys distance,
// ARED's robust radius and a multi-start reduction (README).
func DefaultAggregation() Aggregation {
	return Aggregation{Distance: divergence.Jeffreys, Radius: server.RadiusRobust, Hardening: HardeningFull, Rules: RulesVersion}
}

// validate reports an unknown hardening.
func (a Aggregation) validate() error {
	switch a.Hardening {
	case "", HardeningFull, HardeningNone:
		return nil
	}
	return fmt.Errorf("hardening %q: want %s or %s", a.Hardening, HardeningFull, HardeningNone)
}

// Server is the server these settings describe, for estimates of the order
// and dimension more than half of them share, with seed 0 for the
// reduction's starts and one worker per core.
func (a Aggregation) Server() *server.Server { return a.server(0, 0, 0) }

func (a Aggregation) server(k int, seed uint64, workers int) *server.Server {
	return &server.Server{K: k, Distance: a.Distance, Radius: a.Radius, RadiusScale: a.RadiusScale,
		AREDPower: a.AREDPower, SingleStart: a.SingleStart, Unhardened: a.Hardening == HardeningNone, Seed: seed, Workers: workers,
		Centre: a.Centre, ExactUpTo: a.ExactUpTo, Candidates: a.Candidates, Refined: a.Refined, FlagLevel: a.FlagLevel}
}
