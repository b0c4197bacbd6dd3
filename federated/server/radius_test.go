package server

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/nistgmm/nistgmm/federated/divergence"
	"github.com/nistgmm/nistgmm/federated/estimates"
)

// BenchmarkRadiusCalibration is how ARED's robust radius and its constant
// were chosen: on simulated rounds (m = 50 machines, each an EM fit on
// n = 2,000 draws of a random order-3 mixture in d = 4; seeds 41-44, used
// nowhere else; 0, 5 or 20 Byzantine machines of each failure kind) it
// reports, per distance and rule, the share of honest machines ARED flags
// and the share of Byzantine machines it keeps. Run it with
//
//	go test -run '^$' -bench RadiusCalibration -benchtime 1x ./federated
func BenchmarkRadiusCalibration(b *testing.B) {
	type round struct {
		ests []estimates.Estimate
		byz  []int
	}
	var rounds []round
	for seed := uint64(41); seed < 45; seed++ {
		for _, f := range []plantedFailure{letters, meanFailure, covFailure, weightFailure} {
			for _, nb := range []int{0, 5, 20} {
				ests, byz, _ := plantedRound(b, f, 50, nb, seed)
				rounds = append(rounds, round{ests, byz})
			}
		}
	}
	rules := []struct {
		name  string
		rule  RadiusRule
		scale float64
	}{{"eq5", RadiusEq5, 0}, {"robust-s2", RadiusRobust, 2}, {"robust-s3", RadiusRobust, 3}, {"robust-s4", RadiusRobust, 4}}
	for _, dist := range divergence.Distances() {
		for _, r := range rules {
			b.Run(fmt.Sprintf("%s/%s", dist, r.name), func(b *testing.B) {
				for it := 0; it < b.N; it++ {
					var honestFlagged, honest, byzKept, byzTotal int
					for _, rd := range rounds {
						srv := &Server{Distance: dist, Radius: r.rule, RadiusScale: r.scale}
						prep, err := srv.Prepare(context.Background(), rd.ests)
						if err != nil {
							b.Fatal(err)
						}
						res, err := prep.Aggregate(context.Background(), ARED, nil)
						if err != nil {
							b.Fatal(err)
						}
						honest += len(rd.ests) - len(rd.byz)
						byzTotal += len(rd.byz)
						for _, i := range res.Flagged {
							if !slices.Contains(rd.byz, i) {
								honestFlagged++
							}
						}
						for _, i := range res.Kept {
							if slices.Contains(rd.byz, i) {
								byzKept++
							}
						}
					}
					b.ReportMetric(float64(honestFlagged)/float64(honest), "honest-flagged")
					b.ReportMetric(float64(byzKept)/float64(byzTotal), "byzantine-kept")
				}
			})
		}
	}
}
