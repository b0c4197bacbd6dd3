package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/nistgmm/nistgmm/dataset"
	"github.com/nistgmm/nistgmm/features"
	"github.com/nistgmm/nistgmm/internal/progress"
	"github.com/nistgmm/nistgmm/models"
)

const (
	// builtinModel names the CNN built into the binary (models/cnn.onnx at
	// build time) in messages and manifests.
	builtinModel    = "built-in models/cnn.onnx"
	defaultFeatures = "data/features"
)

func cmdExtract(ctx context.Context, args []string) error {
	fs := newFlagSet("extract", "[--sd19 PATH | --idx DIR] [--letters PATH] --out DIR [flags]")
	sd19 := fs.String("sd19", "", "NIST SD19 by_class.zip (read in place) or its unpacked folder: digits and, unless --letters, letters")
	idx := fs.String("idx", "", "folder of MNIST/EMNIST digit IDX files (train-images, train-labels, t10k/test-images, t10k/test-labels; .gz or plain)")
	letters := fs.String("letters", "", "SD19 by_class zip or folder for the letters (e.g. ../shared/data/sd19-vowels)")
	classes := fs.String("letter-classes", "41-4a", "letter classes by name or SD19 hex code: a list (A,E,I or 41,45,49) or a range (A-J or 41-4a)")
	model := fs.String("model", "", "ONNX feature model (default: the CNN built into nistgmm, models/cnn.onnx when it was built)")
	out := fs.String("out", defaultFeatures, "output folder")
	limit := fs.Int("limit", 0, "extract at most this many images per set (0: all)")
	workers := fs.Int("workers", 0, "decoding and inference goroutines (0: one per core)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	lc, err := dataset.ParseClasses(*classes)
	if err != nil {
		return fmt.Errorf("--letter-classes: %w", err)
	}
	_, err = extract(ctx, features.Job{SD19: *sd19, IDXDir: *idx, Letters: *letters, LetterClasses: lc,
		Limit: *limit, Out: *out, Options: features.Options{Workers: *workers}}, *model, os.Stdout)
	return err
}

// extract runs a job with a progress bar per set and prints a summary to
// summary (stdout for the extract command, stderr when another command
// extracts before its own work).
func extract(ctx context.Context, job features.Job, modelPath string, summary io.Writer) (*features.Manifest, error) {
	m, err := loadModel(modelPath)
	if err != nil {
		return nil, err
	}
	defer m.Close()
	var bar *progress.Report
	var add func(int)
	job.Progress = func(set string, total int) {
		if bar != nil {
			bar.Finish()
		}
		bar, add = newBar(total, "extracting "+set)
	}
	job.Options.Progress = func(n int) { add(n) }
	job.Log = func(format string, a ...any) {
		if bar != nil {
			bar.Clear()
		}
		fmt.Fprintf(os.Stderr, format+"\n", a...)
	}
	man, err := m.Run(ctx, job)
	if bar != nil {
		bar.Finish()
	}
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(summary, "features of %s (preprocess %s, sha256 %.12s) in %s:\n", man.Model, man.Preprocess, man.ModelSHA256, job.Out)
	for _, s := range man.Sets {
		acc := ""
		if s.Accuracy != nil {
			acc = fmt.Sprintf(", CNN accuracy %.4f", *s.Accuracy)
		}
		fmt.Fprintf(summary, "  %-13s %6d images (%d skipped)%s\n", s.Name, s.Count, s.Skipped, acc)
	}
	return man, nil
}

// loadModel loads the model at path, or the built-in CNN when path is empty.
func loadModel(path string) (*features.Model, error) {
	if path == "" {
		return features.LoadBytes(models.CNN(), builtinModel)
	}
	return features.Load(path)
}
