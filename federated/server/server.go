package server

import (
	"fmt"
	"math"

	"github.com/nistgmm/nistgmm/federated/divergence"
	"github.com/nistgmm/nistgmm/federated/mixture"
)

// ErrInvalidSetting reports a setting of a Server that cannot be used; the
// message names it. It is mixture.ErrInvalidSetting, so that one errors.Is
// covers the settings of the fits and of the server.
var ErrInvalidSetting = mixture.ErrInvalidSetting

// Server aggregates transmitted estimates. Its zero value is the product's
// default: the symmetric Jeffreys transportation divergence, ARED's robust
// radius, the paper's trimming level 0.5, a multi-start reduction and
// GOMAXPROCS workers. The paper's own choices are one field away each
// (Distance ISE, Radius RadiusEq5, SingleStart).
type Server struct {
	// K and Dim are the order and dimension estimates must have; 0 means the
	// most common among the estimates received.
	K, Dim int
	// Distance chooses COAT and the balls; "" means Jeffreys.
	Distance divergence.Distance
	// Radius is ARED's rule for the radius of its ball; "" means
	// RadiusRobust. RadiusScale is the rule's constant; 0 means the rule's
	// default (see RadiusRule).
	Radius      RadiusRule
	RadiusScale float64
	// AREDPower is the power of AREDFactor in eq. (5)'s radius. 0 means the
	// distance's Order: 1 for most distances, which is eq. (5) as printed,
	// and 2 for CS, which shrinks like n^-1 rather than n^-1/2 (see Order).
	AREDPower float64
	// Trim is TRIM's trimming level eta in (0, 1); 0 means 0.5.
	Trim float64
	// Tol stops GMR and TRIM when the objective changes by less than
	// Tol * max(1, |objective|); 0 means 1e-10.
	Tol float64
	// MaxIter caps GMR and TRIM iterations; 0 means 1000.
	MaxIter int
	// SingleStart makes every reduction start at COAT alone, as the paper
	// does. Otherwise (the default) it also starts from the NearStarts kept
	// estimates nearest COAT and from SeededStarts weighted k-means++
	// seedings over the kept components, and keeps the lowest objective.
	SingleStart bool
	// NearStarts and SeededStarts count the extra starts; 0 means 3 and 4.
	NearStarts, SeededStarts int
	// Seed drives the k-means++ starts: the same seed gives the same result.
	Seed uint64
	// Starts are further starting mixtures for every reduction.
	Starts []*mixture.Mixture
	// Workers bounds the goroutines computing distances and reductions;
	// 0 means GOMAXPROCS.
	Workers int

	// Unhardened makes the server follow the paper's rules where they
	// trust the machines: reported sample sizes weigh as reported, near
	// copies and absurd sample sizes count as votes like any estimate, and
	// ARED returns the plain reduction of its ball. By default (false) no
	// machine weighs more than the median reported sample size, near copies
	// count once, absurd sample sizes are set aside, and ARED combines
	// the estimates componentwise (see combineSlots).
	Unhardened bool
	// CopyFraction is the fraction of the typical distance between
	// estimates below which two are near copies; 0 means CopyFraction.
	CopyFraction float64

	// Centre chooses how COAT is found (see CentreSearch): "" searches
	// exactly when there are at most ExactUpTo valid estimates (0 means
	// DefaultExactUpTo) and by sampling above, with Candidates random and
	// Refined chosen estimates (0 means DefaultCandidates and
	// DefaultRefined). ARED's componentwise combination searches each
	// slot's centre the same way.
	Centre              CentreSearch
	ExactUpTo           int
	Candidates, Refined int

	// FlagLevel is the family-wise level of the verdicts: the probability
	// that a round flags at least one honest site (see Verdict); 0 means
	// DefaultFlagLevel.
	FlagLevel float64

	// Known, when set, holds distances Prepare reads instead of computing
	// when every valid estimate's mixture is among them (the same *Mixture)
	// and they are of the server's distance (see Server.KnownDistances).
	Known *KnownDistances
}

// Validate reports settings that cannot be used. Zero values mean the
// defaults documented on each field; bad values are errors, never replaced.
func (s *Server) Validate() error {
	if err := s.validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidSetting, err)
	}
	return nil
}

func (s *Server) validate() error {
	if _, err := divergence.ParseDistance(string(s.distance())); err != nil {
		return err
	}
	if _, err := ParseRadiusRule(string(s.radiusRule())); err != nil {
		return err
	}
	if _, err := ParseCentreSearch(string(s.Centre)); err != nil {
		return err
	}
	finiteNonNeg := func(v float64) bool { return v >= 0 && !math.IsInf(v, 0) }
	switch {
	case s.K < 0 || s.Dim < 0:
		return fmt.Errorf("server: order %d and dimension %d must not be negative", s.K, s.Dim)
	case !finiteNonNeg(s.RadiusScale):
		return fmt.Errorf("server: radius scale %v, want a finite number > 0 (0 for the rule's default)", s.RadiusScale)
	case !finiteNonNeg(s.AREDPower):
		return fmt.Errorf("server: ARED power %v, want a finite number > 0 (0 for the distance's order)", s.AREDPower)
	case !(s.Trim >= 0 && s.Trim < 1):
		return fmt.Errorf("server: trimming level %v is not in (0, 1) (0 for the default 0.5)", s.Trim)
	case !finiteNonNeg(s.Tol):
		return fmt.Errorf("server: tolerance %v, want a finite number > 0 (0 for the default 1e-10)", s.Tol)
	case s.MaxIter < 0:
		return fmt.Errorf("server: iteration cap %d, want at least 1 (0 for the default 1000)", s.MaxIter)
	case s.NearStarts < 0 || s.SeededStarts < 0:
		return fmt.Errorf("server: %d near and %d seeded starts, want none negative", s.NearStarts, s.SeededStarts)
	case !finiteNonNeg(s.CopyFraction) || s.CopyFraction >= 1:
		return fmt.Errorf("server: copy fraction %v, want a number in (0, 1) (0 for the default %g)", s.CopyFraction, CopyFraction)
	case s.ExactUpTo < 0 || s.Candidates < 0 || s.Refined < 0:
		return fmt.Errorf("server: exact search up to %d, %d random and %d refined candidates, want none negative (0 for the defaults)",
			s.ExactUpTo, s.Candidates, s.Refined)
	case !(s.FlagLevel >= 0 && s.FlagLevel < 1):
		return fmt.Errorf("server: flag level %v is not in (0, 1) (0 for the default %g)", s.FlagLevel, DefaultFlagLevel)
	case s.Workers < 0:
		return fmt.Errorf("server: %d workers, want at least 1 (0 for one per core)", s.Workers)
	}
	return nil
}

func (s *Server) distance() divergence.Distance {
	if s.Distance == "" {
		return divergence.Jeffreys
	}
	return s.Distance
}

func (s *Server) copyFraction() float64 {
	if s.CopyFraction > 0 {
		return s.CopyFraction
	}
	return CopyFraction
}

func (s *Server) flagLevel() float64 {
	if s.FlagLevel > 0 {
		return s.FlagLevel
	}
	return DefaultFlagLevel
}

func (s *Server) trimLevel() float64 {
	if s.Trim > 0 {
		return s.Trim
	}
	return 0.5
}

func (s *Server) tol() float64 {
	if s.Tol > 0 {
		return s.Tol
	}
	return 1e-10
}

func (s *Server) maxIter() int {
	if s.MaxIter > 0 {
		return s.MaxIter
	}
	return 1000
}

// sampledCentre reports whether a round of m valid estimates (or a slot of
// m components) finds its centre by sampling.
func (s *Server) sampledCentre(m int) bool {
	switch s.Centre {
	case CentreExact:
		return false
	case CentreSampled:
		return true
	}
	limit := s.ExactUpTo
	if limit == 0 {
		limit = DefaultExactUpTo
	}
	return m > limit
}

func (s *Server) candidates() int {
	if s.Candidates > 0 {
		return s.Candidates
	}
	return DefaultCandidates
}

func (s *Server) refined() int {
	if s.Refined > 0 {
		return s.Refined
	}
	return DefaultRefined
}
