package experiments

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/nistgmm/nistgmm/federated/adversary"
	"github.com/nistgmm/nistgmm/federated/divergence"
	"github.com/nistgmm/nistgmm/federated/estimates"
	"github.com/nistgmm/nistgmm/federated/mixture"
	"github.com/nistgmm/nistgmm/federated/server"
	"github.com/nistgmm/nistgmm/internal/fastblas"
)

func TestMain(m *testing.M) {
	fastblas.Enable()
	os.Exit(m.Run())
}

// synthetic draws classes around random centres in d dimensions, and
// "letters" from other centres.
func synthetic(d, classes, nTrain, nTest, nLetters int, sep float64) *Data {
	rng := rand.New(rand.NewPCG(3, 4))
	centres := make([][]float64, 2*classes)
	for i := range centres {
		centres[i] = make([]float64, d)
		for j := range centres[i] {
			centres[i][j] = sep * rng.NormFloat64()
		}
	}
	draw := func(n, offset int) (*mat.Dense, []int) {
		X := mat.NewDense(n, d, nil)
		y := make([]int, n)
		for i := 0; i < n; i++ {
			c := i % classes
			y[i] = c
			for j := 0; j < d; j++ {
				X.Set(i, j, centres[c+offset][j]+rng.NormFloat64()*(0.5+float64(j%3)*0.3))
			}
		}
		return X, y
	}
	out := &Data{}
	out.Train, out.TrainLabels = draw(nTrain, 0)
	out.Test, out.TestLabels = draw(nTest, 0)
	out.Letters, _ = draw(nLetters, classes)
	return out
}

func TestRepetitionIsDeterministicWhateverTheWorkers(t *testing.T) {
	d := synthetic(5, 3, 3000, 600, 1000, 4)
	for _, f := range []adversary.Failure{adversary.Letters, adversary.MeanFailure, adversary.CovFailure, adversary.WeightFailure} {
		c := Table2Config{Machines: 8, NTotal: 2400, K: 3, Aggregation: Aggregation{Distance: divergence.Jeffreys}, Failure: f, LettersN: 300,
			Alphas: []float64{0, 0.25}, Seed: 9, Restarts: 2, Workers: 1}
		a, err := RunTable2Repetition(context.Background(), d, c, 3, nil)
		if err != nil {
			t.Fatal(err)
		}
		c.Workers = 4
		b, err := RunTable2Repetition(context.Background(), d, c, 3, nil)
		if err != nil {
			t.Fatal(err)
		}
		a.Timing, b.Timing = Timing{}, Timing{}
		for i := range a.Alphas {
			a.Alphas[i].DistanceSeconds, b.Alphas[i].DistanceSeconds = 0, 0
			for j := range a.Alphas[i].Methods {
				a.Alphas[i].Methods[j].Seconds, b.Alphas[i].Methods[j].Seconds = 0, 0
			}
		}
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("%s: 1 and 4 workers gave different results", f)
		}
		// Byzantine sets are nested across alphas and ARED catches the
		// far-off letters and mean failures. (The cov and weight
		// failures here land among honest fits, which in this small
		// synthetic set disagree by as much: no radius separates them.)
		hi := a.Alphas[1]
		if len(hi.Byzantine) != 2 {
			t.Fatalf("%s: %d Byzantine at alpha 0.25 of 8", f, len(hi.Byzantine))
		}
		for _, m := range hi.Methods {
			far := f == adversary.Letters || f == adversary.MeanFailure
			if m.Method == server.ARED && far && m.Missed != 0 {
				t.Errorf("%s: ARED missed %d", f, m.Missed)
			}
			if m.Method == server.Oracle && m.ARI < 0.9 {
				t.Errorf("%s: Oracle ARI %.3f on well-separated classes", f, m.ARI)
			}
		}
	}
}

func TestStratifiedPartition(t *testing.T) {
	labels := make([]int, 1000)
	for i := range labels {
		labels[i] = i % 10
	}
	c := Table2Config{Machines: 4, NTotal: 800, Stratified: true}
	parts, err := partition(c, labels, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for _, p := range parts {
		counts := make([]int, 10)
		for _, i := range p {
			counts[labels[i]]++
			if seen[i] {
				t.Fatal("a digit went to two machines")
			}
			seen[i] = true
		}
		for _, n := range counts {
			if n != 20 {
				t.Fatalf("counts per class %v, want 20 each", counts)
			}
		}
	}
	c.NTotal = 5000
	if _, err := partition(c, labels, rand.New(rand.NewPCG(1, 1))); err == nil {
		t.Fatal("asking for more digits than a class has was accepted")
	}
}

// Each refused configuration is refused for its own reason, and the same
// configuration with that one thing fixed passes.
func TestConfigCheck(t *testing.T) {
	d := synthetic(3, 2, 100, 50, 10, 3)
	d.Letters = nil
	c := NewTable2Config()
	c.NTotal = 80
	c.Machines = 4
	c.K = 2
	if err := c.Check(d); err == nil || !strings.Contains(err.Error(), "the letters failure needs letter features") {
		t.Errorf("letters failure without letters: %v", err)
	}
	c.Failure = adversary.MeanFailure
	if err := c.Check(d); err != nil {
		t.Fatalf("the mean failure on these data: %v", err)
	}
	c.Alphas = []float64{0.6}
	if err := c.Check(d); err == nil || !strings.Contains(err.Error(), "failure rate 0.6 is outside [0, 0.5)") {
		t.Errorf("alpha 0.6: %v", err)
	}
	c.Alphas = []float64{0.25}
	c.Machines = 40
	if err := c.Check(d); err == nil || !strings.Contains(err.Error(), "leave 2 observations per machine") {
		t.Errorf("2 observations per machine in d = 3: %v", err)
	}
}

// realisticData is the vowels features when extracted (make vowels), else
// synthetic data of the same shape: d = 50, 10 classes.
func realisticData(b *testing.B) (*Data, string) {
	b.Helper()
	if d, err := loadFeatures("../data/vowels"); err == nil {
		return d, "MNIST+vowels features"
	}
	return synthetic(50, 10, 25000, 10000, 10000, 1), "synthetic d=50"
}

// BenchmarkRepetitionParts measures the three parts of one Table 2
// repetition at the paper's size (m = 50, N = 25,000, K = 10, d = 50):
// the 50 honest fits, one of the up to 20 letter fits (n = 5,000), and the
// aggregation and scoring of all six methods at one alpha. Fits run with
// the paper's fixed penalty (c = 1) and with the default per-machine
// penalty search, for the ratio between them in one command.
func BenchmarkRepetitionParts(b *testing.B) {
	d, what := realisticData(b)
	b.Logf("data: %s", what)
	c := NewTable2Config()
	c.Workers = 1
	rng := func(i int) *rand.Rand { return rand.New(rand.NewPCG(1, uint64(i))) }
	parts, _ := partition(c, d.TrainLabels, rng(0))
	honest := make([]*mixture.Mixture, c.Machines)
	paper := c
	paper.PenaltyScale = 1
	var letter *mixture.Mixture
	for _, v := range []struct {
		name string
		c    Table2Config
	}{{"paper-c1", paper}, {"penalty-search", c}} {
		b.Run("honest-fits-50-"+v.name, func(b *testing.B) {
			for it := 0; it < b.N; it++ {
				for i := range honest {
					g, _, err := v.c.EM().Fit(context.Background(), rows(d.Train, parts[i]), rng(i))
					if err != nil {
						b.Fatal(err)
					}
					honest[i] = g
				}
			}
		})
		for _, n := range []int{5000, 1000} { // the paper's --letters-n, and the faster option
			b.Run(fmt.Sprintf("letter-fit-1-n%d-%s", n, v.name), func(b *testing.B) {
				for it := 0; it < b.N; it++ {
					r := rng(100 + it)
					ln, _ := d.Letters.Dims()
					g, _, err := v.c.EM().Fit(context.Background(), rows(d.Letters, r.Perm(ln)[:n]), r)
					if err != nil {
						b.Fatal(err)
					}
					letter = g
				}
			})
		}
	}
	single := c
	single.SingleStart = true
	for _, v := range []struct {
		name string
		c    Table2Config
	}{{"single-start", single}, {"multi-start", c}} {
		b.Run("aggregate-and-score-1-alpha-"+v.name, func(b *testing.B) {
			order := rng(7).Perm(c.Machines)
			repl := make([]*mixture.Mixture, 10)
			for i := range repl {
				repl[i] = letter
			}
			for it := 0; it < b.N; it++ {
				if _, err := runAlpha(context.Background(), d, v.c, parts, honest, order, repl, nil, 0.2, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	// The distances of a repetition's five alphas, computed per round or
	// once for all (the rounds then read them).
	paperDist := c
	paperDist.Distance = divergence.ISE
	for _, v := range []struct {
		name string
		c    Table2Config
	}{{"jeffreys", c}, {"ise", paperDist}} {
		order := rng(7).Perm(c.Machines)
		repl := make([]*mixture.Mixture, 20)
		var all []*mixture.Mixture
		for i := range honest {
			all = append(all, honest[i])
			for j, at := range order[:len(repl)] {
				if at == i {
					repl[j] = letter.Clone()
					all = append(all, repl[j])
				}
			}
		}
		b.Run("distances-5-alphas-per-round-"+v.name, func(b *testing.B) {
			for it := 0; it < b.N; it++ {
				for _, alpha := range c.Alphas {
					if _, err := prepareAlpha(v.c.Server(), c, parts, honest, order, repl, alpha); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
		b.Run("distances-5-alphas-known-"+v.name, func(b *testing.B) {
			for it := 0; it < b.N; it++ {
				srv := v.c.Server()
				known, err := srv.KnownDistances(context.Background(), all)
				if err != nil {
					b.Fatal(err)
				}
				srv.Known = known
				for _, alpha := range c.Alphas {
					if _, err := prepareAlpha(srv, c, parts, honest, order, repl, alpha); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

// prepareAlpha prepares the round of one alpha as runAlpha does.
func prepareAlpha(srv *server.Server, c Table2Config, parts [][]int, honest []*mixture.Mixture, order []int, repl []*mixture.Mixture, alpha float64) (*server.Round, error) {
	ests := make([]estimates.Estimate, c.Machines)
	for i := range ests {
		ests[i] = estimates.Estimate{ID: fmt.Sprintf("m%02d", i), N: len(parts[i]), Mixture: honest[i]}
	}
	for j := 0; j < c.byzantineCount(alpha); j++ {
		ests[order[j]].Mixture = repl[j]
	}
	return srv.Prepare(context.Background(), ests)
}
