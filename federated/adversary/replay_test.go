package adversary

import (
	"context"
	"slices"
	"testing"

	"github.com/nistgmm/nistgmm/federated/estimates"
	"github.com/nistgmm/nistgmm/federated/server"
)

// flaggedIDs returns the ids ARED flags in ests, the ids the round sets
// aside, and the copy groups by ids.
func aredVerdictIDs(t *testing.T, ests []estimates.Estimate) (flagged, aside []string, groups [][]string) {
	t.Helper()
	round, err := (&server.Server{}).Prepare(context.Background(), ests)
	if err != nil {
		t.Fatal(err)
	}
	res, err := round.Aggregate(context.Background(), server.ARED, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range res.Flagged {
		flagged = append(flagged, ests[i].ID)
	}
	for _, s := range round.SetAside {
		aside = append(aside, ests[s.Index].ID)
	}
	for _, g := range round.CopyGroups {
		var ids []string
		for _, i := range g.Members {
			ids = append(ids, ests[i].ID)
		}
		slices.Sort(ids)
		groups = append(groups, ids)
	}
	slices.Sort(flagged)
	slices.Sort(aside)
	slices.SortFunc(groups, func(a, b []string) int { return slices.Compare(a, b) })
	return flagged, aside, groups
}

// Replays listed before their victims set aside no honest machine and add
// none to the flagged list, and the verdicts do not depend on the order of
// the document: reversed, the same ids are flagged and grouped.
func TestReplaysFrameNoOne(t *testing.T) {
	for _, nByz := range []int{6, 12} {
		ests, byz, _ := honestRound(t, 30, nByz, 91)
		attacked, _, err := Craft(context.Background(), &server.Server{}, ReplayFrame, ests, byz, newRNG(1))
		if err != nil {
			t.Fatal(err)
		}
		flagged, aside, groups := aredVerdictIDs(t, attacked)
		if len(aside) != 0 {
			t.Errorf("%d replays: set aside %v", nByz, aside)
		}
		for _, id := range flagged {
			for i := nByz; i < len(attacked); i++ {
				if attacked[i].ID == id {
					t.Errorf("%d replays: honest %s flagged", nByz, id)
				}
			}
		}
		if len(groups) != nByz {
			t.Errorf("%d replays: %d copy groups %v", nByz, len(groups), groups)
		}
		reversed := slices.Clone(attacked)
		slices.Reverse(reversed)
		f2, a2, g2 := aredVerdictIDs(t, reversed)
		if !slices.Equal(flagged, f2) || !slices.Equal(aside, a2) || !slices.EqualFunc(groups, g2, slices.Equal[[]string]) {
			t.Errorf("%d replays: reversing the document changed the verdicts: flagged %v / %v, aside %v / %v, groups %v / %v",
				nByz, flagged, f2, aside, a2, groups, g2)
		}
	}
}

// Exact replays giving most estimates a copy at distance 0 do not switch
// the copy rule off: the typical distance keeps its floor, and the
// identical crafted mixtures still form one group counted once.
func TestReplaysDoNotBlindTheCopyRule(t *testing.T) {
	ests, byz, _ := honestRound(t, 50, 20, 93)
	attacked, _, err := Craft(context.Background(), &server.Server{}, ReplayBlind, ests, byz, newRNG(1))
	if err != nil {
		t.Fatal(err)
	}
	round, err := (&server.Server{}).Prepare(context.Background(), attacked)
	if err != nil {
		t.Fatal(err)
	}
	if !(round.CopyTypical > 0) {
		t.Fatalf("typical distance %g: the copy rule is off", round.CopyTypical)
	}
	replays := (len(byz) + 2) / 3
	crafted := byz[replays:]
	found := false
	for _, g := range round.CopyGroups {
		if slices.Equal(g.Members, crafted) {
			found = true
		}
	}
	if !found {
		t.Errorf("the %d identical crafted mixtures %v are not one group: %+v", len(crafted), crafted, round.CopyGroups)
	}
	counted := round.Counted()
	n := 0
	for _, b := range crafted {
		if slices.Contains(counted, b) {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d of the identical crafted mixtures counted, want 1", n)
	}
}
