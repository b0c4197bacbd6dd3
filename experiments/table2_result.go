package experiments

import (
	"github.com/nistgmm/nistgmm/federated/adversary"
	"github.com/nistgmm/nistgmm/federated/estimates"
	"github.com/nistgmm/nistgmm/federated/server"
)

// MethodResult is one method's outcome at one alpha.
type MethodResult struct {
	Method  server.Method `json:"method"`
	ARI     float64       `json:"ari"`
	Kept    []int         `json:"kept"`
	Flagged []int         `json:"flagged"`
	Caught  int           `json:"byzantine_caught"` // Byzantine and flagged
	Missed  int           `json:"byzantine_missed"` // Byzantine and not flagged
	// HonestFlagged counts honest machines the method flagged.
	HonestFlagged int     `json:"honest_flagged"`
	Radius        float64 `json:"radius,omitempty"` // CRED's and ARED's ball
	Warning       string  `json:"warning,omitempty"`
	Seconds       float64 `json:"seconds"`
}

// AlphaResult is one failure rate within a repetition.
type AlphaResult struct {
	Alpha           float64 `json:"alpha"`
	Byzantine       []int   `json:"byzantine"`
	Coat            int     `json:"coat"`
	CoatByzantine   bool    `json:"coat_byzantine"`
	Invalid         int     `json:"invalid"`
	DistanceSeconds float64 `json:"distance_seconds"`
	// CoatDistances is D(COAT, G_i) for every machine (-1 for an invalid
	// one); Radius is r_coat.
	CoatDistances []float64 `json:"coat_distances"`
	Radius        float64   `json:"radius"`
	// Estimates are the round's estimates as the server received them
	// (for `run --estimates-out`); not stored in checkpoints.
	Estimates []estimates.Estimate `json:"-"`
	// SeparabilityAUC is the ROC AUC of the distance to COAT as a score for
	// "is Byzantine" over the valid machines; absent without Byzantine ones.
	SeparabilityAUC *float64 `json:"separability_auc,omitempty"`
	// SlotSeparabilityAUC is the ROC AUC, over the valid machines ARED's
	// componentwise combination counted, of the number of slots in which a
	// machine's component fell outside the slot's ball, as a score for "is
	// Byzantine": the componentwise criterion, which sees merges and splits
	// that the distance to COAT averages away. Absent without Byzantine
	// machines or with an unhardened server.
	SlotSeparabilityAUC *float64 `json:"slot_separability_auc,omitempty"`
	// SeparabilityByDistance is SeparabilityAUC under every distance (with
	// Table2Config.AllDistances); "kl-column" scores D(G, COAT) instead of
	// D(COAT, G).
	SeparabilityByDistance map[string]float64 `json:"separability_by_distance,omitempty"`
	// Attack is what the attacker chose under an adaptive failure.
	Attack  *adversary.AttackReport `json:"attack,omitempty"`
	Methods []MethodResult          `json:"methods"`
}

// Timing splits the cost of a repetition.
type Timing struct {
	HonestFits  float64 `json:"honest_fits_seconds"`
	LetterFits  float64 `json:"letter_fits_seconds"`
	Aggregation float64 `json:"aggregation_seconds"` // distances, methods and scoring
}

// Table2Rep is one repetition of the experiment: shared honest fits (and
// letter fits), then every alpha.
type Table2Rep struct {
	Rep    int           `json:"rep"`
	Alphas []AlphaResult `json:"alphas"`
	Timing Timing        `json:"timing"`
}
