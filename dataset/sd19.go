package dataset

import (
	"archive/zip"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Partition is where an SD19 image belongs.
type Partition string

const (
	// Train is by_class's train_<hex> folders (writers of hsf_0-3, 6, 7).
	Train Partition = "train"
	// Test is the hsf_4 folders, writer-disjoint from Train.
	Test Partition = "test"
)

// Entry is one character image of an SD19 source.
type Entry struct {
	Class     byte      // the character's ASCII code, from the folder's hex name
	Partition Partition // Train or Test
	Path      string    // path inside the zip or folder
}

// Char returns the character the entry shows.
func (e Entry) Char() string { return string(rune(e.Class)) }

// Skipped is a file the reader passed over and why.
type Skipped struct {
	Path   string
	Reason string
}

// SD19 is a by_class source: by_class.zip read in place, or an unpacked
// folder (the by_class folder or any folder above it).
type SD19 struct {
	Source  string
	Entries []Entry   // sorted by class, partition, path
	Skipped []Skipped // files outside the layout and duplicate hsf_N copies
	zip     *zip.ReadCloser
	files   map[string]*zip.File
	root    string
}

// OpenSD19 lists the images of a by_class zip or folder. Files outside the
// by_class layout are listed in Skipped; the hsf_N folders other than hsf_4
// duplicate train images and are skipped too.
func OpenSD19(p string) (*SD19, error) {
	st, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("SD19: %w (pass the path of by_class.zip or of its unpacked folder)", err)
	}
	s := &SD19{Source: p}
	if st.IsDir() {
		s.root = p
		err = filepath.WalkDir(p, func(fp string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				return nil
			}
			rel, _ := filepath.Rel(p, fp)
			s.add(filepath.ToSlash(rel))
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("SD19: reading %s: %w", p, err)
		}
	} else {
		zr, err := zip.OpenReader(p)
		if err != nil {
			return nil, fmt.Errorf("SD19: %s is not a readable zip (%w); pass by_class.zip as downloaded from NIST, or its unpacked folder", p, err)
		}
		s.zip = zr
		s.files = map[string]*zip.File{}
		for _, f := range zr.File {
			if f.FileInfo().IsDir() {
				continue
			}
			s.files[f.Name] = f
			s.add(f.Name)
		}
	}
	sort.Slice(s.Entries, func(i, j int) bool {
		a, b := s.Entries[i], s.Entries[j]
		if a.Class != b.Class {
			return a.Class < b.Class
		}
		if a.Partition != b.Partition {
			return a.Partition < b.Partition
		}
		return a.Path < b.Path
	})
	if len(s.Entries) == 0 {
		s.Close()
		return nil, fmt.Errorf("SD19: no by_class/<hex>/train_<hex>/*.png or by_class/<hex>/hsf_4/*.png images in %s", p)
	}
	return s, nil
}

// add classifies one file by its last three path elements:
// <hex class>/<train_<hex> | hsf_N>/<name>.png.
func (s *SD19) add(p string) {
	parts := strings.Split(p, "/")
	skip := func(reason string) { s.Skipped = append(s.Skipped, Skipped{Path: p, Reason: reason}) }
	if len(parts) < 3 || !strings.EqualFold(path.Ext(p), ".png") {
		skip("not a by_class/<hex>/<partition>/*.png image")
		return
	}
	classDir, partDir := parts[len(parts)-3], parts[len(parts)-2]
	code, err := strconv.ParseUint(classDir, 16, 8)
	if err != nil || len(classDir) != 2 {
		skip("class folder is not a two-digit hex code")
		return
	}
	e := Entry{Class: byte(code), Path: p}
	switch {
	case strings.EqualFold(partDir, "train_"+classDir):
		e.Partition = Train
	case partDir == "hsf_4":
		e.Partition = Test
	case strings.HasPrefix(partDir, "hsf_"):
		skip("hsf_N other than hsf_4 duplicates train images")
		return
	default:
		skip("partition folder is neither train_" + classDir + " nor hsf_N")
		return
	}
	s.Entries = append(s.Entries, e)
}

// Close releases the zip, if any.
func (s *SD19) Close() error {
	if s.zip != nil {
		return s.zip.Close()
	}
	return nil
}

// Decode reads and decodes one entry. It is safe for concurrent use.
func (s *SD19) Decode(e Entry) (image.Image, error) {
	var rc io.ReadCloser
	var err error
	if s.zip != nil {
		f, ok := s.files[e.Path]
		if !ok {
			return nil, fmt.Errorf("%s: not in the zip", e.Path)
		}
		rc, err = f.Open()
	} else {
		rc, err = os.Open(filepath.Join(s.root, filepath.FromSlash(e.Path)))
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", e.Path, err)
	}
	defer rc.Close()
	img, err := png.Decode(rc)
	if err != nil {
		return nil, fmt.Errorf("%s: corrupt PNG: %w", e.Path, err)
	}
	return img, nil
}

// Count is the number of images of one class in each partition.
type Count struct {
	Class       byte
	Train, Test int
}

// Counts returns the images per class and partition.
func (s *SD19) Counts() []Count {
	var out []Count
	for _, e := range s.Entries {
		if len(out) == 0 || out[len(out)-1].Class != e.Class {
			out = append(out, Count{Class: e.Class})
		}
		c := &out[len(out)-1]
		if e.Partition == Train {
			c.Train++
		} else {
			c.Test++
		}
	}
	return out
}

// DigitClasses are the folders 30-39: the digits 0-9.
func DigitClasses() []byte { return []byte{0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39} }

// DefaultLetterClasses are the folders 41-4a: the paper's letters A-J.
func DefaultLetterClasses() []byte {
	return []byte{0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a}
}

// ParseClasses reads a comma-separated list of classes, each a letter or
// digit by name or by its hex code ("A,E,I" or "41,45,49"), or a range of
// either ("A-J", "41-4a").
func ParseClasses(s string) ([]byte, error) {
	var out []byte
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		lo, hi, isRange := strings.Cut(item, "-")
		a, err := parseClass(lo)
		if err != nil {
			return nil, err
		}
		b := a
		if isRange {
			if b, err = parseClass(hi); err != nil || b < a {
				return nil, fmt.Errorf("class range %q is not like A-J or 41-4a", item)
			}
		}
		for c := int(a); c <= int(b); c++ {
			out = append(out, byte(c))
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no classes given")
	}
	return out, nil
}

// parseClass reads one class: a single letter or digit by name (A, e, 7),
// or its two-digit hex code as SD19 names its folders (41).
func parseClass(s string) (byte, error) {
	if len(s) == 1 && isClassChar(s[0]) {
		return s[0], nil
	}
	v, err := strconv.ParseUint(s, 16, 8)
	if err != nil || len(s) != 2 || !isClassChar(byte(v)) {
		return 0, fmt.Errorf("class %q is neither a letter or digit (A, e, 7) nor its hex code as SD19 names its folders (41)", s)
	}
	return byte(v), nil
}

func isClassChar(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
}

// ClassName is a class as people read it, with SD19's hex code: "A (41)".
func ClassName(c byte) string { return fmt.Sprintf("%c (%02x)", c, c) }

// Select returns the entries of the given classes and partition; an entry's
// label is the position of its class in classes.
func (s *SD19) Select(classes []byte, p Partition) ([]Entry, []int) {
	label := map[byte]int{}
	for i, c := range classes {
		label[c] = i
	}
	var es []Entry
	var ls []int
	for _, e := range s.Entries {
		if l, ok := label[e.Class]; ok && e.Partition == p {
			es = append(es, e)
			ls = append(ls, l)
		}
	}
	return es, ls
}
