package features

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/nistgmm/nistgmm/dataset"
)

// Job says what `nistgmm extract` extracts. With neither SD19 nor IDXDir set
// the digits are the built-in MNIST.
type Job struct {
	SD19          string // by_class.zip or folder: digits (and letters unless Letters is set)
	IDXDir        string // folder of MNIST/EMNIST-style IDX digit files
	Letters       string // by_class.zip or folder for the letters
	LetterClasses []byte // default dataset.DefaultLetterClasses()
	Limit         int    // at most this many images per set (0: all)
	Out           string
	Options       Options
	// Progress is called when a set starts, with its name and size; the
	// Options.Progress hook then counts its images.
	Progress func(set string, total int)
	// Log receives one line per notable event (skipped images, counts).
	Log func(format string, args ...any)
}

type namedSet struct {
	name, source, partition string
	src                     Source
	labels                  []int
	classNames              []string
	digits                  bool
}

// Run extracts every set of the job and writes the .npy files and the
// manifest (last). It returns the manifest.
func (m *Model) Run(ctx context.Context, job Job) (*Manifest, error) {
	if job.Out == "" {
		return nil, errors.New("extract: no output folder")
	}
	logf := job.Log
	if logf == nil {
		logf = func(string, ...any) {}
	}
	letterClasses := job.LetterClasses
	if len(letterClasses) == 0 {
		letterClasses = dataset.DefaultLetterClasses()
	}
	digitNames := make([]string, 10)
	for i := range digitNames {
		digitNames[i] = fmt.Sprint(i)
	}
	var sets []namedSet
	var closers []func() error
	defer func() {
		for _, c := range closers {
			c()
		}
	}()
	openSD19 := func(p string) (*dataset.SD19, error) {
		s, err := dataset.OpenSD19(p)
		if err != nil {
			return nil, err
		}
		closers = append(closers, s.Close)
		logf("%s: %d images, %d other files skipped", p, len(s.Entries), len(s.Skipped))
		for _, c := range s.Counts() {
			logf("  class %02x (%s): train %d, test (hsf_4) %d", c.Class, string(rune(c.Class)), c.Train, c.Test)
		}
		return s, nil
	}
	switch {
	case job.SD19 != "" && job.IDXDir != "":
		return nil, errors.New("extract: give an SD19 source or an IDX folder for the digits, not both")
	case job.SD19 != "":
		s, err := openSD19(job.SD19)
		if err != nil {
			return nil, err
		}
		for _, p := range []struct {
			name string
			part dataset.Partition
		}{{DigitsTrain, dataset.Train}, {DigitsTest, dataset.Test}} {
			es, ls := s.Select(dataset.DigitClasses(), p.part)
			if len(es) == 0 {
				return nil, fmt.Errorf("extract: %s has no %s digits (classes 30-39)", job.SD19, p.part)
			}
			sets = append(sets, namedSet{name: p.name, source: job.SD19, partition: string(p.part),
				src: SD19Source{SD19: s, Entries: es}, labels: ls, classNames: digitNames, digits: true})
		}
		if job.Letters == "" {
			job.Letters = job.SD19
		}
	default:
		files, err := idxFiles(job.IDXDir)
		if err != nil {
			return nil, err
		}
		for _, p := range []struct{ name, images, labels, part string }{
			{DigitsTrain, files.TrainImages, files.TrainLabels, "train"},
			{DigitsTest, files.TestImages, files.TestLabels, "test"},
		} {
			im, ls, err := dataset.ReadIDXPair(p.images, p.labels)
			if err != nil {
				return nil, err
			}
			labels := make([]int, len(ls))
			for i, l := range ls {
				labels[i] = int(l)
			}
			source := p.images
			if job.IDXDir == "" {
				source = dataset.BuiltInSource(p.images)
			}
			sets = append(sets, namedSet{name: p.name, source: source, partition: p.part,
				src: IDXSource{Images: im}, labels: labels, classNames: digitNames, digits: true})
		}
	}
	if job.Letters != "" {
		s, err := openSD19(job.Letters)
		if err != nil {
			return nil, err
		}
		es, ls := s.Select(letterClasses, dataset.Train)
		if err := missingClasses(job.Letters, s, letterClasses, ls); err != nil {
			return nil, err
		}
		names := make([]string, len(letterClasses))
		for i, c := range letterClasses {
			names[i] = string(rune(c))
		}
		sets = append(sets, namedSet{name: Letters, source: job.Letters, partition: "train",
			src: SD19Source{SD19: s, Entries: es}, labels: ls, classNames: names})
	}

	// The folder is made only once every source has been read: a refused
	// job leaves nothing behind.
	if err := os.MkdirAll(job.Out, 0o755); err != nil {
		return nil, err
	}
	man := &Manifest{Format: ManifestFormat, Created: time.Now().UTC().Format(time.RFC3339), Model: m.Path,
		ModelSHA256: m.SHA256, Preprocess: string(m.Mode), NormMean: m.Mean, NormSD: m.SD, ModelMeta: m.Meta}
	for _, set := range sets {
		src, labels := set.src, set.labels
		if job.Limit > 0 && src.Len() > job.Limit {
			src, labels = limited{src, job.Limit}, labels[:job.Limit]
		}
		if job.Progress != nil {
			job.Progress(set.name, src.Len())
		}
		res, err := m.Extract(ctx, src, job.Options)
		if err != nil {
			return nil, fmt.Errorf("extract %s: %w", set.name, err)
		}
		for i, f := range res.Failed {
			if i < 10 {
				logf("%s: skipped image %d: %v", set.name, f.Index, f.Err)
			}
		}
		if len(res.Failed) > 10 {
			logf("%s: ... and %d more skipped", set.name, len(res.Failed)-10)
		}
		kept := make([]int, len(res.Kept))
		for j, i := range res.Kept {
			kept[j] = labels[i]
		}
		if err := WriteSet(job.Out, set.name, res.Features, kept); err != nil {
			return nil, err
		}
		info := SetInfo{Name: set.name, Source: set.source, Partition: set.partition, Count: len(kept), Skipped: len(res.Failed)}
		counts := map[int]int{}
		for _, l := range kept {
			counts[l]++
		}
		for l := range set.classNames {
			info.Classes = append(info.Classes, ClassCount{Class: set.classNames[l], Label: l, Count: counts[l]})
		}
		if set.digits {
			acc := res.Accuracy(labels)
			info.Accuracy = &acc
		}
		man.Sets = append(man.Sets, info)
		t := res.Timing
		total := (t.Decode + t.Preprocess + t.CNN).Seconds()
		logf("%s: %d images in %.1fs (%.0f/s); worker time: decode %.0f%%, preprocess %.0f%%, CNN %.0f%%",
			set.name, len(kept), t.Wall.Seconds(), float64(src.Len())/t.Wall.Seconds(),
			100*t.Decode.Seconds()/total, 100*t.Preprocess.Seconds()/total, 100*t.CNN.Seconds()/total)
	}
	if err := WriteManifest(job.Out, man); err != nil {
		return nil, err
	}
	return man, nil
}

type limited struct {
	Source
	n int
}

func (l limited) Len() int { return l.n }

// idxFiles finds the four digit files in dir, or the built-in MNIST when dir
// is empty. Names follow MNIST (train-images-idx3-ubyte, t10k-...) or
// EMNIST (emnist-digits-train-images-idx3-ubyte, ...-test-...), optionally
// gzipped.
func idxFiles(dir string) (dataset.MNISTFiles, error) {
	if dir == "" {
		return dataset.LocateMNIST()
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return dataset.MNISTFiles{}, fmt.Errorf("IDX folder: %w", err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	find := func(parts ...string) string {
		for _, n := range names {
			ok := true
			for _, p := range parts {
				ok = ok && strings.Contains(n, p)
			}
			if ok && !strings.Contains(n, "letters") {
				return filepath.Join(dir, n)
			}
		}
		return ""
	}
	f := dataset.MNISTFiles{
		TrainImages: find("train-images"), TrainLabels: find("train-labels"),
		TestImages: find("t10k-images"), TestLabels: find("t10k-labels"),
	}
	if f.TestImages == "" {
		f.TestImages, f.TestLabels = find("test-images"), find("test-labels")
	}
	if f.TrainImages == "" || f.TrainLabels == "" || f.TestImages == "" || f.TestLabels == "" {
		return f, fmt.Errorf("IDX folder %s: need *train-images*, *train-labels*, *t10k-images* (or *test-images*) and *t10k-labels* IDX files", dir)
	}
	return f, nil
}

// missingClasses refuses letter classes without training images in the
// source, naming them and the classes it does hold: extracting the rest
// silently would leave fewer letters than the experiment asks for.
func missingClasses(source string, s *dataset.SD19, classes []byte, labels []int) error {
	seen := make([]bool, len(classes))
	for _, l := range labels {
		seen[l] = true
	}
	var missing []string
	for i, c := range classes {
		if !seen[i] {
			missing = append(missing, dataset.ClassName(c))
		}
	}
	if len(missing) == 0 {
		return nil
	}
	var held, names []string
	for _, c := range s.Counts() {
		if c.Train > 0 && (c.Class < '0' || c.Class > '9') {
			held = append(held, dataset.ClassName(c.Class))
			names = append(names, string(rune(c.Class)))
		}
	}
	if len(held) == 0 {
		return fmt.Errorf("extract: %s has no training images of letters", source)
	}
	return fmt.Errorf("extract: %s has no training images of the letter classes %s; its letter classes are %s: "+
		"pass those you want, e.g. --letter-classes %s", source, strings.Join(missing, ", "), strings.Join(held, ", "),
		strings.Join(names, ","))
}
