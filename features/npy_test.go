package features

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"codeberg.org/sbinet/npyio/npy"
	"gonum.org/v1/gonum/mat"
)

func encodeNPY(t testing.TB, v any) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := npy.Write(&b, v); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestParseMatrixRoundTrip(t *testing.T) {
	want := mat.NewDense(3, 2, []float64{1, 2, 3, 4, 5, 6.5})
	got, err := ParseMatrix(encodeNPY(t, want))
	if err != nil {
		t.Fatal(err)
	}
	if !mat.Equal(got, want) {
		t.Errorf("got %v, want %v", mat.Formatted(got), mat.Formatted(want))
	}
	labels, err := ParseLabels(encodeNPY(t, []int64{3, -1, 7}))
	if err != nil {
		t.Fatal(err)
	}
	if len(labels) != 3 || labels[0] != 3 || labels[1] != -1 || labels[2] != 7 {
		t.Errorf("labels %v, want [3 -1 7]", labels)
	}
}

// Every malformed file gets an error naming the problem, never a panic and
// never a silently reshaped array.
func TestReadMatrixRejectsBadFiles(t *testing.T) {
	good := encodeNPY(t, mat.NewDense(4, 3, make([]float64, 12)))
	corruptHeader := bytes.Replace(good, []byte("(4, 3)"), []byte("(4, x)"), 1)
	zeroRows := encodeNPY(t, mat.NewDense(1, 3, nil))
	zeroRows = bytes.Replace(zeroRows, []byte("(1, 3)"), []byte("(0, 3)"), 1)
	zeroRows = zeroRows[:len(zeroRows)-24]
	wrongShape := bytes.Replace(good, []byte("(4, 3)"), []byte("(9, 3)"), 1)
	cases := map[string]struct {
		data []byte
		want string
	}{
		"empty":          {nil, "not a .npy file"},
		"cut to 20":      {good[:20], "truncated"},
		"cut in data":    {good[:len(good)-5], "data bytes"},
		"corrupt header": {corruptHeader, "shape entry"},
		"zero rows":      {zeroRows, "no observations"},
		"one dimension":  {encodeNPY(t, []float64{1, 2}), "2-D"},
		"wrong size":     {wrongShape, "data bytes"},
		"text":           {[]byte("a,b,c\n1,2,3\n"), "not a .npy file"},
	}
	dir := t.TempDir()
	for name, c := range cases {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".npy")
		if err := os.WriteFile(path, c.data, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := ReadMatrix(path)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one mentioning %q", name, err, c.want)
		}
	}
	if _, err := ParseLabels(encodeNPY(t, []float32{1})); err == nil || !strings.Contains(err.Error(), "int64") {
		t.Errorf("float labels: error %v, want one naming the integer types", err)
	}
}

// FuzzParseNPY feeds arbitrary bytes to the .npy readers: they must return
// an array or an error, never panic or allocate beyond the input.
func FuzzParseNPY(f *testing.F) {
	f.Add(encodeNPY(f, mat.NewDense(2, 3, []float64{1, 2, 3, 4, 5, 6})))
	f.Add(encodeNPY(f, []int64{1, 2, 3}))
	f.Add(encodeNPY(f, []float32{1, 2}))
	f.Add([]byte("\x93NUMPY\x01\x00\x10\x00{'descr': '<f4'}"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if X, err := ParseMatrix(b); err == nil {
			r, c := X.Dims()
			if r == 0 || c == 0 || r*c*4 > len(b) {
				t.Fatalf("accepted a %dx%d matrix from %d bytes", r, c, len(b))
			}
		}
		if y, err := ParseLabels(b); err == nil && len(y) == 0 {
			t.Fatal("accepted empty labels")
		}
	})
}
