package experiments

import (
	"errors"
	"fmt"
	"math"

	"github.com/nistgmm/nistgmm/federated/adversary"
	"github.com/nistgmm/nistgmm/federated/mixture"
	"github.com/nistgmm/nistgmm/federated/server"
	"gonum.org/v1/gonum/mat"
)

// Data holds the features of one experiment. Letters may be nil, in which
// case only the mean, cov and weight failures are available.
type Data struct {
	Train       *mat.Dense // digit features the machines share out
	TrainLabels []int
	Test        *mat.Dense // digit features the aggregates cluster
	TestLabels  []int
	Letters     *mat.Dense // Byzantine machines' letter features
}

// Table2Config is one Table 2 experiment (Section 6). NewTable2Config gives the
// product's defaults; the paper's own choices are each one field away.
type Table2Config struct {
	Machines   int               `json:"machines"`   // m
	NTotal     int               `json:"n_total"`    // N training digits drawn per repetition
	Stratified bool              `json:"stratified"` // equal counts per class on every machine
	K          int               `json:"k"`          // mixture order
	Failure    adversary.Failure `json:"failure"`
	LettersN   int               `json:"letters_n"` // letter features each Byzantine machine fits on
	Alphas     []float64         `json:"alphas"`
	Seed       uint64            `json:"seed"`
	Workers    int               `json:"workers"` // goroutines for the local fits; 0 means GOMAXPROCS
	// Restarts is the number of k-means++ starts of each local EM; 0 means 10.
	Restarts int `json:"restarts"`
	// PenaltyScale is c in every local fit's a_n = c n^(-1/2); 0 means that
	// each machine chooses c from its own data (mixture.PenaltySearch).
	// 1 is the paper's.
	PenaltyScale float64 `json:"penalty_scale"`
	Aggregation
	// ByzantineN, when positive, is the sample size every Byzantine machine
	// reports instead of its own (the n-inflation attack); 0 keeps the
	// true one.
	ByzantineN int `json:"byzantine_n,omitempty"`
	// AllDistances also reports, for every distance, how well the distance
	// to that distance's COAT separates Byzantine from honest machines
	// (AlphaResult.SeparabilityByDistance). It changes no result.
	AllDistances bool `json:"all_distances,omitempty"`
}

// NewTable2Config returns the paper's Section 6 design (m = 50, N = 25,000,
// K = 10, letters failures from 5,000 letters, alpha in {0, ..., 0.4}) with
// the product's defaults for what the paper's choices fail at (README):
// the penalty chosen per machine, the Jeffreys distance, ARED's robust
// radius and a multi-start reduction.
func NewTable2Config() Table2Config {
	return Table2Config{Machines: 50, NTotal: 25000, K: 10, Aggregation: DefaultAggregation(),
		Failure: adversary.Letters, LettersN: 5000, Alphas: []float64{0, 0.1, 0.2, 0.3, 0.4}}
}

// Server is the aggregation server the configuration describes.
func (c Table2Config) Server() *server.Server { return c.Aggregation.server(c.K, c.Seed, c.Workers) }

// EM is the local fit the configuration describes.
func (c Table2Config) EM() *mixture.EM {
	em := &mixture.EM{K: c.K, Restarts: c.Restarts, PenaltyScale: c.PenaltyScale}
	if c.PenaltyScale == 0 {
		em.PenaltySearch = &mixture.PenaltySearch{}
	}
	return em
}

// Validate reports settings that cannot run on any data, before anything
// is loaded or fitted.
func (c Table2Config) Validate() error {
	switch {
	case c.Machines < 3:
		return fmt.Errorf("%d machines: the robust methods need at least 3", c.Machines)
	case c.K < 1:
		return fmt.Errorf("mixture order %d, want at least 1", c.K)
	case c.NTotal < c.Machines*c.K:
		return fmt.Errorf("%d training digits leave fewer than K = %d per machine over %d machines", c.NTotal, c.K, c.Machines)
	case c.Failure == adversary.Letters && c.LettersN < c.K:
		return fmt.Errorf("%d letter features per Byzantine machine cannot fit %d components", c.LettersN, c.K)
	case !(c.PenaltyScale >= 0) || math.IsInf(c.PenaltyScale, 0):
		return fmt.Errorf("penalty scale %v, want a finite number > 0 (0 to choose it per machine)", c.PenaltyScale)
	case c.Restarts < 0 || c.Workers < 0:
		return fmt.Errorf("%d restarts and %d workers, want neither negative", c.Restarts, c.Workers)
	case c.ByzantineN < 0:
		return fmt.Errorf("Byzantine sample size %d, want 0 (their own) or more", c.ByzantineN)
	case len(c.Alphas) == 0:
		return errors.New("no failure rate to run")
	}
	if _, err := adversary.ParseFailure(string(c.Failure)); err != nil {
		return err
	}
	for _, a := range c.Alphas {
		if !(a >= 0 && a < 0.5) {
			return fmt.Errorf("failure rate %v is outside [0, 0.5)", a)
		}
	}
	if err := c.EM().Validate(); err != nil {
		return err
	}
	if err := c.Aggregation.validate(); err != nil {
		return err
	}
	return c.Server().Validate()
}

// Check reports a configuration that cannot run on data.
func (c Table2Config) Check(d *Data) error {
	if err := c.Validate(); err != nil {
		return err
	}
	n, dim := d.Train.Dims()
	switch {
	case c.NTotal > n:
		return fmt.Errorf("%d training digits asked for, %d available", c.NTotal, n)
	case len(d.TrainLabels) != n:
		return fmt.Errorf("%d training labels for %d rows", len(d.TrainLabels), n)
	}
	if per := c.NTotal / c.Machines; per <= dim {
		return fmt.Errorf("%d training digits over %d machines leave %d observations per machine, too few for a covariance in "+
			"dimension %d (at least %d are needed): use fewer machines or more digits", c.NTotal, c.Machines, per, dim, dim+1)
	}
	if tn, td := d.Test.Dims(); td != dim || len(d.TestLabels) != tn {
		return fmt.Errorf("test features are %dx%d with %d labels; training features have %d columns", tn, td, len(d.TestLabels), dim)
	}
	if c.Failure == adversary.Letters {
		if d.Letters == nil {
			return errors.New("the letters failure needs letter features")
		}
		ln, ld := d.Letters.Dims()
		if ld != dim {
			return fmt.Errorf("letter features have %d columns, digits %d", ld, dim)
		}
		if c.LettersN > ln {
			return fmt.Errorf("%d letter features per Byzantine machine asked for, %d available", c.LettersN, ln)
		}
	}
	return nil
}

// maxByzantine is the largest number of Byzantine machines over the alphas.
func (c Table2Config) maxByzantine() int {
	most := 0
	for _, a := range c.Alphas {
		most = max(most, c.byzantineCount(a))
	}
	return most
}

func (c Table2Config) byzantineCount(alpha float64) int { return byzantineCount(alpha, c.Machines) }
