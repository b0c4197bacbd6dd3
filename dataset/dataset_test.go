package dataset

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// glyph draws a 128x128 RGB scan: black strokes on white, a bar whose
// position and size depend on seed.
func glyph(seed int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 128, 128))
	for y := 0; y < 128; y++ {
		for x := 0; x < 128; x++ {
			img.Set(x, y, color.RGBA{255, 255, 255, 255})
		}
	}
	x0, y0 := 50+seed%10, 35+seed%10
	for y := y0; y < y0+60; y++ {
		for x := x0; x < x0+12+seed%10; x++ {
			img.Set(x, y, color.RGBA{0, 0, 0, 255})
		}
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}

// layout is a small by_class tree: two digits and one letter, train and
// hsf_4 images, a duplicate hsf_0 copy, a corrupt PNG and a stray file.
var layout = map[string][]byte{
	"by_class/30/train_30/train_30_00000.png": glyph(1),
	"by_class/30/train_30/train_30_00001.png": glyph(2),
	"by_class/30/hsf_4/hsf_4_00000.png":       glyph(3),
	"by_class/30/hsf_0/hsf_0_00000.png":       glyph(1),
	"by_class/31/train_31/train_31_00000.png": glyph(4),
	"by_class/31/train_31/train_31_00001.png": []byte("\x89PNG\r\n\x1a\ncorrupt"),
	"by_class/41/train_41/train_41_00000.png": glyph(5),
	"by_class/41/train_41/train_41_00001.png": glyph(6),
	"by_class/41/train_41/README.txt":         []byte("stray"),
}

func writeZip(t *testing.T) string {
	p := filepath.Join(t.TempDir(), "by_class.zip")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for name, data := range layout {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	zw.Close()
	f.Close()
	return p
}

func writeFolder(t *testing.T) string {
	root := t.TempDir()
	for name, data := range layout {
		p := filepath.Join(root, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, data, 0o644)
	}
	return root
}

func TestSD19ZipAndFolder(t *testing.T) {
	for name, p := range map[string]string{"zip": writeZip(t), "folder": writeFolder(t)} {
		s, err := OpenSD19(p)
		if err != nil {
			t.Fatal(name, err)
		}
		want := []Count{{0x30, 2, 1}, {0x31, 2, 0}, {0x41, 2, 0}}
		got := s.Counts()
		if len(got) != len(want) {
			t.Fatalf("%s: counts %v, want %v", name, got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("%s: counts %v, want %v", name, got, want)
			}
		}
		if len(s.Skipped) != 2 { // hsf_0 duplicate and README.txt
			t.Fatalf("%s: skipped %v", name, s.Skipped)
		}
		digits, labels := s.Select(DigitClasses(), Train)
		if len(digits) != 4 || labels[0] != 0 || labels[3] != 1 {
			t.Fatalf("%s: digits %v labels %v", name, digits, labels)
		}
		corrupt := 0
		for _, e := range digits {
			img, err := s.Decode(e)
			if err != nil {
				corrupt++
				if e.Path != "by_class/31/train_31/train_31_00001.png" {
					t.Fatalf("%s: %v", name, err)
				}
				continue
			}
			if img.Bounds().Dx() != 128 {
				t.Fatalf("%s: decoded %v", name, img.Bounds())
			}
		}
		if corrupt != 1 {
			t.Fatalf("%s: %d corrupt images reported, want 1", name, corrupt)
		}
		letters, _ := s.Select(DefaultLetterClasses(), Train)
		if len(letters) != 2 || letters[0].Char() != "A" {
			t.Fatalf("%s: letters %v", name, letters)
		}
		s.Close()
	}
}

func TestSD19UnreadableZipSaysWhatToPass(t *testing.T) {
	p := filepath.Join(t.TempDir(), "by_class.zip")
	os.WriteFile(p, []byte("not a zip"), 0o644)
	_, err := OpenSD19(p)
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte("by_class.zip")) {
		t.Fatalf("error %v does not say what to pass", err)
	}
	if _, err := OpenSD19(filepath.Join(t.TempDir(), "missing.zip")); err == nil {
		t.Fatal("missing path accepted")
	}
}

// checkPreprocessed verifies shape, range and, for ink images, centring.
func checkPreprocessed(t *testing.T, what string, px []float32, mode Mode) {
	t.Helper()
	if len(px) != Side*Side {
		t.Fatalf("%s: %d pixels", what, len(px))
	}
	var sum, sx, sy float64
	for i, v := range px {
		if v < 0 || v > 1 || math.IsNaN(float64(v)) {
			t.Fatalf("%s: pixel %d = %v", what, i, v)
		}
		w := float64(v)
		if mode == ModePaper {
			w = 1 - w // ink is dark in luminance
		}
		sum += w
		sx += w * (float64(i%Side) + 0.5)
		sy += w * (float64(i/Side) + 0.5)
	}
	if sum == 0 {
		t.Fatalf("%s: no ink", what)
	}
	cx, cy := sx/sum, sy/sum
	tol := 1.0
	if mode == ModePaper {
		tol = 7 // a centre crop does not centre the ink, only keeps it in frame
	}
	if math.Abs(cx-14) > tol || math.Abs(cy-14) > tol {
		t.Fatalf("%s: ink centred at (%.2f, %.2f)", what, cx, cy)
	}
	if mode == ModeMNIST {
		// The glyph fits 20x20: the border rows and columns are empty.
		for i := 0; i < Side; i++ {
			if px[i] > 0.05 || px[(Side-1)*Side+i] > 0.05 {
				t.Fatalf("%s: ink on the border", what)
			}
		}
	}
}

func TestPreprocessSynthetic(t *testing.T) {
	img, _ := png.Decode(bytes.NewReader(glyph(7)))
	for _, m := range []Mode{ModeMNIST, ModePaper} {
		px, err := Preprocess(img, m)
		if err != nil {
			t.Fatal(err)
		}
		checkPreprocessed(t, string(m), px, m)
	}
	blank := image.NewRGBA(image.Rect(0, 0, 128, 128))
	for i := range blank.Pix {
		blank.Pix[i] = 255
	}
	if _, err := Preprocess(blank, ModeMNIST); err != ErrNoInk {
		t.Fatalf("blank scan: %v", err)
	}
}

// vowelsDir is the sample of genuine SD19 scans shared with this project.
const vowelsDir = "../../shared/data/sd19-vowels"

func TestRealSD19Vowels(t *testing.T) {
	if _, err := os.Stat(vowelsDir); err != nil {
		t.Skipf("real SD19 sample not found at %s: skipping (it is not part of the repository)", vowelsDir)
	}
	s, err := OpenSD19(vowelsDir)
	if err != nil {
		t.Fatal(err)
	}
	counts := s.Counts()
	if len(counts) != 10 {
		t.Fatalf("vowel classes: %v", counts)
	}
	for _, c := range counts {
		if c.Train != 1000 || c.Test != 0 {
			t.Fatalf("class %c: %+v, want 1000 train", c.Class, c)
		}
	}
	classes, err := ParseClasses("41,45,49,4f,55,61,65,69,6f,75")
	if err != nil {
		t.Fatal(err)
	}
	es, labels := s.Select(classes, Train)
	if len(es) != 10000 || labels[len(labels)-1] != 9 {
		t.Fatalf("selected %d", len(es))
	}
	for i := 0; i < len(es); i += 997 {
		img, err := s.Decode(es[i])
		if err != nil {
			t.Fatal(err)
		}
		if b := img.Bounds(); b.Dx() != 128 || b.Dy() != 128 {
			t.Fatalf("%s: %v", es[i].Path, b)
		}
		for _, m := range []Mode{ModeMNIST, ModePaper} {
			px, err := Preprocess(img, m)
			if err != nil {
				t.Fatalf("%s: %v", es[i].Path, err)
			}
			checkPreprocessed(t, es[i].Path+" "+string(m), px, m)
		}
	}
}

func TestIDXRoundTripPlainAndGzip(t *testing.T) {
	im := &Images{N: 2, Rows: 2, Cols: 3, Pixels: []uint8{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}}
	var plain bytes.Buffer
	if err := WriteIDXImages(&plain, im); err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(plain.Bytes())
	zw.Close()
	for _, b := range [][]byte{plain.Bytes(), gz.Bytes()} {
		back, err := ReadIDXImages(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if back.N != 2 || back.Rows != 2 || back.Cols != 3 || !bytes.Equal(back.Image(1), []uint8{7, 8, 9, 10, 11, 12}) {
			t.Fatalf("round trip: %+v", back)
		}
	}
	var lb bytes.Buffer
	WriteIDXLabels(&lb, []uint8{3, 1})
	if l, err := ReadIDXLabels(&lb); err != nil || !bytes.Equal(l, []uint8{3, 1}) {
		t.Fatalf("labels %v %v", l, err)
	}
	if _, err := ReadIDXImages(bytes.NewReader(plain.Bytes()[:20])); err == nil {
		t.Fatal("truncated file accepted")
	}
	if _, err := ReadIDXLabels(bytes.NewReader(plain.Bytes())); err == nil {
		t.Fatal("image file accepted as labels")
	}
}

func TestParseClasses(t *testing.T) {
	c, err := ParseClasses("41-4a")
	if err != nil || len(c) != 10 || c[9] != 0x4a {
		t.Fatalf("%v %v", c, err)
	}
	if _, err := ParseClasses("zz"); err == nil {
		t.Fatal("bad class accepted")
	}
}

func TestLocateMNIST(t *testing.T) {
	f, err := LocateMNIST()
	if err != nil {
		t.Skipf("module cache without GoMNIST: %v", err)
	}
	im, labels, err := ReadIDXPair(f.TestImages, f.TestLabels)
	if err != nil {
		t.Fatal(err)
	}
	if im.N != 10000 || im.Rows != 28 || len(labels) != 10000 {
		t.Fatalf("MNIST test set: %d %dx%d", im.N, im.Rows, im.Cols)
	}
}

// A manifest names the built-in MNIST files without this machine's module
// cache path, and both that name and a path recorded by an earlier version
// lead back to the files wherever this machine keeps them.
func TestBuiltInSourcesResolve(t *testing.T) {
	f, err := LocateMNIST()
	if err != nil {
		t.Skipf("module cache without GoMNIST: %v", err)
	}
	src := BuiltInSource(f.TrainImages)
	if strings.Contains(src, string(filepath.Separator)+"pkg"+string(filepath.Separator)) || !strings.Contains(src, "train-images-idx3-ubyte.gz") {
		t.Errorf("source %q", src)
	}
	legacy := "/elsewhere/go/pkg/mod/github.com/petar/!go!m!n!i!s!t@v0.0.0-20150704040519-3ad5ac6aa9ba/data/train-images-idx3-ubyte.gz"
	for _, s := range []string{src, legacy} {
		if got, err := ResolveSource(s); err != nil || got != f.TrainImages {
			t.Errorf("ResolveSource(%q) = %q, %v; want %q", s, got, err, f.TrainImages)
		}
	}
	if got, err := ResolveSource("/data/by_class.zip"); err != nil || got != "/data/by_class.zip" {
		t.Errorf("an SD19 source resolved to %q, %v", got, err)
	}
}
