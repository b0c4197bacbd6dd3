package features

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nistgmm/nistgmm/dataset"
)

const modelPath = "../models/cnn.onnx"

func loadModel(t testing.TB) *Model {
	t.Helper()
	if _, err := FindLibrary(); err != nil {
		t.Fatalf("%v", err) // make test runs make setup first: a missing library is a failure here
	}
	m, err := Load(modelPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func TestInferenceMatchesPyTorch(t *testing.T) {
	m := loadModel(t)
	data, err := os.ReadFile("../models/cnn_testvec.json")
	if err != nil {
		t.Fatal(err)
	}
	var vec struct {
		SHA256   string      `json:"model_sha256"`
		Inputs   [][]float32 `json:"inputs"`
		Features [][]float32 `json:"features"`
		Logits   [][]float32 `json:"logits"`
	}
	if err := json.Unmarshal(data, &vec); err != nil {
		t.Fatal(err)
	}
	if vec.SHA256 != m.SHA256 {
		t.Fatalf("test vector is for model %s, models/cnn.onnx is %s: rerun scripts/train_cnn.py", vec.SHA256[:12], m.SHA256[:12])
	}
	var x []float32
	for _, in := range vec.Inputs {
		x = append(x, in...)
	}
	feats, logits, err := m.Infer(x, len(vec.Inputs))
	if err != nil {
		t.Fatal(err)
	}
	for i := range vec.Inputs {
		for j := 0; j < Dim; j++ {
			if d := math.Abs(float64(feats[i*Dim+j] - vec.Features[i][j])); d > 1e-4 {
				t.Fatalf("image %d feature %d: Go %v, PyTorch %v", i, j, feats[i*Dim+j], vec.Features[i][j])
			}
		}
		for j := 0; j < Classes; j++ {
			if d := math.Abs(float64(logits[i*Classes+j] - vec.Logits[i][j])); d > 1e-4 {
				t.Fatalf("image %d logit %d: Go %v, PyTorch %v", i, j, logits[i*Classes+j], vec.Logits[i][j])
			}
		}
	}
	if m.Mode != dataset.ModeMNIST || m.Meta["nistgmm.test_accuracy"] == "" {
		t.Fatalf("metadata: mode %q, %v", m.Mode, m.Meta)
	}
}

func TestMissingLibraryNamesTheFix(t *testing.T) {
	t.Setenv("ONNXRUNTIME_LIB", filepath.Join(t.TempDir(), "nope.so"))
	_, err := FindLibrary()
	if err == nil || !strings.Contains(err.Error(), "make setup") {
		t.Fatalf("error %v does not name the fix", err)
	}
}

func TestWrongShapesAreRefused(t *testing.T) {
	loadModel(t) // the runtime must be up
	_, err := Load("testdata/wrong_shape.onnx")
	if err == nil || !strings.Contains(err.Error(), "shape") || !strings.Contains(err.Error(), "train_cnn.py") {
		t.Fatalf("error %v", err)
	}
	if _, err := Load("testdata/absent.onnx"); err == nil || !strings.Contains(err.Error(), "train_cnn.py") {
		t.Fatalf("missing model: %v", err)
	}
}

// scan draws a 128x128 RGB scan of a vertical bar, black on white.
func scan(seed int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 128, 128))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	x0 := 50 + seed%12
	for y := 30 + seed%9; y < 95; y++ {
		for x := x0; x < x0+10+seed%7; x++ {
			img.Set(x, y, color.RGBA{0, 0, 0, 255})
		}
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}

func sd19Zip(t testing.TB, n int) string {
	p := filepath.Join(t.TempDir(), "by_class.zip")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for i := 0; i < n; i++ {
		w, err := zw.Create("by_class/37/train_37/train_37_" + strings.Repeat("0", 5-len(itoa(i))) + itoa(i) + ".png")
		if err != nil {
			t.Fatal(err)
		}
		if i == 3 {
			w.Write([]byte("\x89PNG broken"))
			continue
		}
		w.Write(scan(i))
	}
	zw.Close()
	f.Close()
	return p
}

func itoa(i int) string {
	s := ""
	for {
		s = string(rune('0'+i%10)) + s
		i /= 10
		if i == 0 {
			return s
		}
	}
}

func TestExtractSkipsCorruptAndIsOrderStable(t *testing.T) {
	m := loadModel(t)
	s, err := dataset.OpenSD19(sd19Zip(t, 40))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	es, _ := s.Select(dataset.DigitClasses(), dataset.Train)
	src := SD19Source{SD19: s, Entries: es}
	one, err := m.Extract(context.Background(), src, Options{Workers: 1, Batch: 7})
	if err != nil {
		t.Fatal(err)
	}
	two, err := m.Extract(context.Background(), src, Options{Workers: 3, Batch: 5})
	if err != nil {
		t.Fatal(err)
	}
	if len(one.Failed) != 1 || one.Failed[0].Index != 3 || len(one.Kept) != 39 {
		t.Fatalf("failed %v, kept %d", one.Failed, len(one.Kept))
	}
	if !slices.Equal(one.Kept, two.Kept) {
		t.Fatal("kept differs with workers")
	}
	for i := range one.Features {
		if math.Abs(float64(one.Features[i]-two.Features[i])) > 1e-5 {
			t.Fatalf("feature %d: %v vs %v", i, one.Features[i], two.Features[i])
		}
	}
	// Write, read back.
	dir := t.TempDir()
	labels := make([]int, len(one.Kept))
	if err := WriteSet(dir, DigitsTrain, one.Features, labels); err != nil {
		t.Fatal(err)
	}
	X, y, err := ReadSet(dir, DigitsTrain)
	if err != nil {
		t.Fatal(err)
	}
	if r, c := X.Dims(); r != 39 || c != Dim || len(y) != 39 || X.At(5, 7) != float64(one.Features[5*Dim+7]) {
		t.Fatalf("read back %dx%d", r, c)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Fatalf("temporary file %s left behind", e.Name())
		}
	}
}

// BenchmarkExtractSD19 reports throughput (images/s) on SD19 scans (the
// real vowel sample when present, synthetic scans otherwise) and the share
// of worker time spent decoding, preprocessing and in the CNN.
func BenchmarkExtractSD19(b *testing.B) {
	m := loadModel(b)
	src := "../../shared/data/sd19-vowels"
	if _, err := os.Stat(src); err != nil {
		src = sd19Zip(b, 2000)
	}
	s, err := dataset.OpenSD19(src)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	es := s.Entries
	if len(es) > 2000 {
		es = es[:2000]
	}
	b.ResetTimer()
	var t Timing
	for i := 0; i < b.N; i++ {
		r, err := m.Extract(context.Background(), SD19Source{SD19: s, Entries: es}, Options{})
		if err != nil {
			b.Fatal(err)
		}
		t.Decode += r.Timing.Decode
		t.Preprocess += r.Timing.Preprocess
		t.CNN += r.Timing.CNN
	}
	total := float64(t.Decode + t.Preprocess + t.CNN)
	b.ReportMetric(float64(len(es)*b.N)/b.Elapsed().Seconds(), "images/s")
	b.ReportMetric(100*float64(t.Decode)/total, "%decode")
	b.ReportMetric(100*float64(t.Preprocess)/total, "%preprocess")
	b.ReportMetric(100*float64(t.CNN)/total, "%cnn")
}
