package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/nistgmm/nistgmm/experiments"
	"github.com/nistgmm/nistgmm/experiments/plots"
	"github.com/nistgmm/nistgmm/federated/server"
	"github.com/nistgmm/nistgmm/internal/atomicfile"
)

func cmdCalibrate(ctx context.Context, args []string) error {
	fs := newFlagSet("calibrate", "[--rounds 300] [--seed 1] [--dims 2,5,10,20] [--ms 5,10,20,50,200,1000] --out DIR")
	c := experiments.DefaultVerdictCalibration()
	fs.IntVar(&c.Rounds, "rounds", c.Rounds, "clean rounds of Section 5's generator (every site honest)")
	fs.Uint64Var(&c.Seed, "seed", c.Seed, "seed of the rounds")
	fs.IntVar(&c.Workers, "workers", 0, "rounds run at once (0: one per core); the numbers do not depend on it")
	out := fs.String("out", "", "folder for rounds.json, calibration.md and calibration.png")
	replot := fs.Bool("replot", false, "run no round: rewrite calibration.md and calibration.png from --out's rounds.json")
	dims := fs.String("dims", "", "comma-separated dimensions drawn from (default 2,5,10,20)")
	ms := fs.String("ms", "", "comma-separated numbers of sites drawn from (default 5,10,20,50,200,1000)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	var err error
	if *dims != "" {
		if c.Dims, err = parseInts("dims", *dims); err != nil {
			return err
		}
	}
	if *ms != "" {
		if c.Ms, err = parseInts("ms", *ms); err != nil {
			return err
		}
	}
	if err := required(fs, "out"); err != nil {
		return err
	}
	if *replot {
		rounds, err := readCalibrationRounds(filepath.Join(*out, "rounds.json"))
		if err != nil {
			return err
		}
		return writeCalibration(*out, rounds)
	}
	if c.Rounds < 1 {
		return fmt.Errorf("--rounds %d: want at least 1", c.Rounds)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	bar, add := newBar(c.Rounds, "clean rounds")
	rounds, err := experiments.CalibrateVerdicts(ctx, c, func(int) { add(1) })
	bar.Finish()
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(filepath.Join(*out, "rounds.json"), func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", " ")
		return enc.Encode(rounds)
	}); err != nil {
		return err
	}
	return writeCalibration(*out, rounds)
}

// writeCalibration writes the calibration's table (also on stdout) and its
// plot into out.
func writeCalibration(out string, rounds []experiments.VerdictRound) error {
	write := func(w io.Writer) error {
		return experiments.WriteVerdictCalibration(w, rounds, server.DefaultFlagLevel, []float64{12, 8, 6, 4, 3, 2})
	}
	if err := atomicfile.WriteFile(filepath.Join(out, "calibration.md"), write); err != nil {
		return err
	}
	title := fmt.Sprintf("ARED's verdicts on %d clean rounds", len(rounds))
	if err := plots.PlotVerdictCalibration(filepath.Join(out, "calibration.png"), rounds, server.DefaultFlagLevel, title); err != nil {
		return fmt.Errorf("calibration plot: %w", err)
	}
	return write(os.Stdout)
}

func readCalibrationRounds(path string) ([]experiments.VerdictRound, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--replot: %w (run calibrate without --replot first)", err)
	}
	var rounds []experiments.VerdictRound
	if err := json.Unmarshal(b, &rounds); err != nil {
		return nil, fmt.Errorf("--replot: %s is not a calibration's rounds.json: %w", path, err)
	}
	if len(rounds) == 0 {
		return nil, fmt.Errorf("--replot: %s holds no round", path)
	}
	return rounds, nil
}
