package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/nistgmm/nistgmm/internal/atomicfile"

	"github.com/nistgmm/nistgmm/dataset"
)

func cmdPrepare(ctx context.Context, args []string) error {
	fs := newFlagSet("prepare", "[--sd19 PATH] [--letters PATH] [--mode mnist|paper] --out DIR")
	sd19 := fs.String("sd19", "", "NIST SD19 by_class.zip or folder (default: the built-in MNIST digits, already preprocessed)")
	letters := fs.String("letters", "", "SD19 zip or folder for letters (default: --sd19 when given)")
	classes := fs.String("letter-classes", "41-4a", "letter classes by name or SD19 hex code: a list (A,E,I or 41,45,49) or a range (A-J or 41-4a)")
	mode := fs.String("mode", "mnist", "preprocessing: mnist or paper")
	out := fs.String("out", "data/prepared", "output folder for the IDX files")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	pm, err := dataset.ParseMode(*mode)
	if err != nil {
		return err
	}
	lc, err := dataset.ParseClasses(*classes)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	if *sd19 == "" {
		if pm != dataset.ModeMNIST {
			return fmt.Errorf("the built-in MNIST digits exist only in mnist form; give --sd19 for --mode %s", pm)
		}
		f, err := dataset.LocateMNIST()
		if err != nil {
			return err
		}
		for src, dst := range map[string]string{f.TrainImages: "digits-train-images-idx3-ubyte.gz", f.TrainLabels: "digits-train-labels-idx1-ubyte.gz",
			f.TestImages: "digits-test-images-idx3-ubyte.gz", f.TestLabels: "digits-test-labels-idx1-ubyte.gz"} {
			if err := copyFile(src, filepath.Join(*out, dst)); err != nil {
				return err
			}
		}
		fmt.Printf("MNIST digits copied to %s\n", *out)
	} else {
		s, err := dataset.OpenSD19(*sd19)
		if err != nil {
			return err
		}
		defer s.Close()
		for name, part := range map[string]dataset.Partition{"digits-train": dataset.Train, "digits-test": dataset.Test} {
			es, ls := s.Select(dataset.DigitClasses(), part)
			if err := prepareSet(ctx, s, es, ls, pm, *out, name); err != nil {
				return err
			}
		}
		if *letters == "" {
			*letters = *sd19
		}
	}
	if *letters != "" {
		s, err := dataset.OpenSD19(*letters)
		if err != nil {
			return err
		}
		defer s.Close()
		es, ls := s.Select(lc, dataset.Train)
		if err := prepareSet(ctx, s, es, ls, pm, *out, "letters"); err != nil {
			return err
		}
	}
	return nil
}

func prepareSet(ctx context.Context, s *dataset.SD19, es []dataset.Entry, labels []int, mode dataset.Mode, dir, name string) error {
	if len(es) == 0 {
		return fmt.Errorf("%s: no images in %s", name, s.Source)
	}
	bar, add := newBar(len(es), "preparing "+name)
	im, kept, rejected, err := s.PrepareImages(ctx, es, mode, 0, add)
	bar.Finish()
	if err != nil {
		return err
	}
	for i, r := range rejected {
		if i < 10 {
			fmt.Fprintf(os.Stderr, "%s: skipped %s: %v\n", name, r.Path, r.Err)
		}
	}
	ls := make([]uint8, len(kept))
	for j, i := range kept {
		ls[j] = uint8(labels[i])
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, name+"-images-idx3-ubyte"), func(w io.Writer) error { return dataset.WriteIDXImages(w, im) }); err != nil {
		return err
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, name+"-labels-idx1-ubyte"), func(w io.Writer) error { return dataset.WriteIDXLabels(w, ls) }); err != nil {
		return err
	}
	fmt.Printf("%s: %d images (%d skipped) in %s\n", name, im.N, len(rejected), dir)
	return nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	return atomicfile.WriteFile(dst, func(w io.Writer) error { _, err := io.Copy(w, in); return err })
}
