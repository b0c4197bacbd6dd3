package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"

	"github.com/nistgmm/nistgmm/internal/atomicfile"
	"github.com/nistgmm/nistgmm/mixsim"
)

// cmdSimulateMixture draws one random mixture with a prescribed maximum
// overlap (the generator of the simulation study) and writes it with its
// overlaps.
func cmdSimulateMixture(_ context.Context, args []string) error {
	fs := newFlagSet("simulate", "mixture --k 5 --d 10 --max-omega 0.3 [--seed S] [--min-weight W] --out truth.json")
	k := fs.Int("k", 5, "order of the mixture")
	d := fs.Int("d", 10, "dimension")
	omega := fs.Float64("max-omega", 0, "target maximum pairwise overlap MaxOmega, in (0, 1)")
	minWeight := fs.Float64("min-weight", 0, "smallest mixing weight, below 1/k (default: equal weights)")
	ecc := fs.Float64("max-eccentricity", 0.9, "cap on every covariance's eccentricity sqrt(1 - lambda_min / lambda_max), in (0, 1]")
	seed := fs.Uint64("seed", 1, "random seed")
	out := fs.String("out", "", "JSON file to write (- for stdout)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := required(fs, "out"); err != nil {
		return err
	}
	if *omega == 0 {
		return errors.New("missing --max-omega (target maximum overlap, in (0, 1)); see nistgmm simulate mixture -h")
	}
	g := mixsim.Generator{K: *k, Dim: *d, MaxOmega: *omega, MinWeight: *minWeight, MaxEccentricity: *ecc}
	if err := g.Validate(); err != nil {
		return fmt.Errorf("%w (flags --k, --d, --max-omega, --min-weight, --max-eccentricity)", err)
	}
	m, ov, err := g.Generate(rand.New(rand.NewPCG(*seed, 0x6d69787369)))
	if err != nil {
		return err
	}
	doc := mixsim.NewDocument(m, ov)
	if *out == "-" {
		return doc.WriteJSON(os.Stdout)
	}
	if err := atomicfile.WriteFile(*out, func(w io.Writer) error { return doc.WriteJSON(w) }); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "K=%d, d=%d mixture with MaxOmega %.8f (pair %d-%d), BarOmega %.6f -> %s\n",
		*k, *d, ov.Max, ov.Pair[0], ov.Pair[1], ov.Bar, *out)
	return nil
}
