package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"

	"gonum.org/v1/gonum/mat"

	"github.com/nistgmm/nistgmm/experiments/explore"
	"github.com/nistgmm/nistgmm/features"
	"github.com/nistgmm/nistgmm/internal/atomicfile"
	"github.com/nistgmm/nistgmm/internal/tsne"
)

// cmdExplore draws the paper's Figure 6: random digit and letter images
// (examples.png) and a 2-D t-SNE embedding of a random sample of their
// features (embedding.png).
func cmdExplore(ctx context.Context, args []string) error {
	fs := newFlagSet("explore", "--features DIR --out DIR [--n 1500] [--seed 1]")
	dir := fs.String("features", "", "features folder made by 'nistgmm extract' (the images are read from the sources its manifest names)")
	out := fs.String("out", "", "folder for examples.png and embedding.png")
	n := fs.Int("n", 1500, "points in the embedding: half digits, half letters (all digits without letters)")
	seed := fs.Uint64("seed", 1, "random seed of the samples and the embedding")
	perplexity := fs.Float64("perplexity", 30, "t-SNE perplexity")
	iterations := fs.Int("iterations", 1000, "t-SNE iterations")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := required(fs, "features", "out"); err != nil {
		return err
	}
	switch {
	case *n < 10 || *n > 20000:
		return fmt.Errorf("--n %d: want 10 to 20,000 points (t-SNE here is exact, quadratic in n)", *n)
	case !(*perplexity > 0) || *perplexity >= float64(*n)/3:
		return fmt.Errorf("--perplexity %v: want a number > 0 and below n/3 = %d", *perplexity, *n/3)
	case *iterations < 1:
		return fmt.Errorf("--iterations %d: want at least 1", *iterations)
	}
	// The embedding takes tens of seconds: a folder it cannot be written
	// to is refused before, not after.
	if err := atomicfile.CheckWritableDir(*out); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	man, err := features.ReadManifest(*dir)
	if err != nil {
		return fmt.Errorf("--features %s is not a features folder (%w)", *dir, err)
	}
	digits, _, err := features.ReadSet(*dir, features.DigitsTrain)
	if err != nil {
		return err
	}
	var letters *mat.Dense
	if _, err := os.Stat(filepath.Join(*dir, features.Letters+".npy")); err == nil {
		if letters, _, err = features.ReadSet(*dir, features.Letters); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(os.Stderr, "note: these features have no letters; the pictures show digits only")
	}
	rng := rand.New(rand.NewPCG(*seed, 0x6578706c))
	if err := explore.WriteExamples(filepath.Join(*out, "examples.png"), man, rng); err != nil {
		// The pictures of images need the original sources; the embedding
		// does not: say why and go on.
		fmt.Fprintf(os.Stderr, "warning: no examples.png: %v\n", err)
	}
	X, isLetter := explore.SampleFeatures(digits, letters, *n, rng)
	rows, d := X.Dims()
	bar, add := newBar(*iterations, "t-SNE embedding")
	Y, err := tsne.Embed(ctx, X.RawMatrix().Data, rows, d, tsne.Settings{Perplexity: *perplexity, Iterations: *iterations}, rng, func() { add(1) })
	bar.Finish()
	if err != nil {
		return err
	}
	if err := explore.PlotEmbedding(filepath.Join(*out, "embedding.png"), Y, isLetter); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "wrote examples.png and embedding.png (%d points) in %s\n", rows, *out)
	return nil
}
