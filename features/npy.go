package features

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/mat"
)

// npyArray is a decoded .npy header with the raw little-endian data.
type npyArray struct {
	descr string
	shape []int
	data  []byte
}

var (
	npyMagic   = []byte("\x93NUMPY")
	npyDescr   = regexp.MustCompile(`'descr'\s*:\s*'([^']*)'`)
	npyFortran = regexp.MustCompile(`'fortran_order'\s*:\s*(True|False)`)
	npyShape   = regexp.MustCompile(`'shape'\s*:\s*\(([^)]*)\)`)
)

// maxNPYElements bounds what a header may announce, so a corrupt or
// malicious header cannot make the reader allocate without limit.
const maxNPYElements = 1 << 31

// parseNPY checks a whole .npy file (format versions 1 to 3): magic,
// header, a C-ordered array, and exactly as many data bytes as the shape
// and element size announce. It never panics on any input.
func parseNPY(b []byte) (*npyArray, error) {
	if len(b) < 10 || !bytes.Equal(b[:6], npyMagic) {
		return nil, errors.New("not a .npy file (bad magic bytes)")
	}
	var hlen, start int
	switch b[6] {
	case 1:
		hlen, start = int(binary.LittleEndian.Uint16(b[8:10])), 10
	case 2, 3:
		if len(b) < 12 {
			return nil, errors.New("truncated .npy header")
		}
		v := binary.LittleEndian.Uint32(b[8:12])
		if uint64(v) > uint64(len(b)) {
			return nil, errors.New("truncated .npy header")
		}
		hlen, start = int(v), 12
	default:
		return nil, fmt.Errorf("unsupported .npy format version %d", b[6])
	}
	if start+hlen > len(b) {
		return nil, fmt.Errorf("truncated .npy header: %d bytes announced, %d present", hlen, len(b)-start)
	}
	header := string(b[start : start+hlen])
	a := &npyArray{}
	m := npyDescr.FindStringSubmatch(header)
	if m == nil {
		return nil, errors.New("corrupt .npy header: no 'descr'")
	}
	a.descr = m[1]
	if m = npyFortran.FindStringSubmatch(header); m == nil {
		return nil, errors.New("corrupt .npy header: no 'fortran_order'")
	} else if m[1] == "True" {
		return nil, errors.New("Fortran-ordered .npy arrays are not supported; save with numpy.ascontiguousarray")
	}
	if m = npyShape.FindStringSubmatch(header); m == nil {
		return nil, errors.New("corrupt .npy header: no 'shape'")
	}
	elems := 1
	for _, f := range strings.Split(m[1], ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		v, err := strconv.Atoi(strings.TrimSuffix(f, "L"))
		if err != nil || v < 0 {
			return nil, fmt.Errorf("corrupt .npy header: shape entry %q", f)
		}
		if v > 0 && elems > maxNPYElements/v {
			return nil, fmt.Errorf("corrupt .npy header: shape (%s) is too large", m[1])
		}
		elems *= v
		a.shape = append(a.shape, v)
	}
	size, err := npyItemSize(a.descr)
	if err != nil {
		return nil, err
	}
	a.data = b[start+hlen:]
	if want := elems * size; len(a.data) != want {
		return nil, fmt.Errorf("shape %v of %s needs %d data bytes, the file has %d (truncated or corrupt)", a.shape, a.descr, want, len(a.data))
	}
	return a, nil
}

func npyItemSize(descr string) (int, error) {
	switch descr {
	case "<f4", "<i4":
		return 4, nil
	case "<f8", "<i8":
		return 8, nil
	case "|u1", "<u1", "|i1":
		return 1, nil
	}
	return 0, fmt.Errorf("element type %q is not supported (want float32, float64, int64, int32 or uint8, little-endian)", descr)
}

// ParseMatrix decodes a .npy file holding a 2-D float32 or float64 array
// with at least one row and one column.
func ParseMatrix(b []byte) (*mat.Dense, error) {
	a, err := parseNPY(b)
	if err != nil {
		return nil, err
	}
	if len(a.shape) != 2 {
		return nil, fmt.Errorf("shape %v, want a 2-D array (observations x features)", a.shape)
	}
	if a.shape[0] == 0 || a.shape[1] == 0 {
		return nil, fmt.Errorf("shape %v has no observations or no features", a.shape)
	}
	out := mat.NewDense(a.shape[0], a.shape[1], nil)
	raw := out.RawMatrix().Data
	switch a.descr {
	case "<f4":
		for i := range raw {
			raw[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(a.data[4*i:])))
		}
	case "<f8":
		for i := range raw {
			raw[i] = math.Float64frombits(binary.LittleEndian.Uint64(a.data[8*i:]))
		}
	default:
		return nil, fmt.Errorf("element type %s, want float32 or float64", a.descr)
	}
	if err := checkFinite(out); err != nil {
		return nil, err
	}
	return out, nil
}

// checkFinite refuses a matrix with a NaN or infinite entry, naming the
// first rows that hold one: a non-finite feature would silently lower
// every score computed from it.
func checkFinite(X *mat.Dense) error {
	n, _ := X.Dims()
	var bad []string
	count := 0
	first := [2]int{-1, -1}
	for i := 0; i < n; i++ {
		row := X.RawRowView(i)
		for j, v := range row {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				if count == 0 {
					first = [2]int{i, j}
				}
				count++
				if len(bad) < 5 {
					bad = append(bad, strconv.Itoa(i))
				}
				break
			}
		}
	}
	if count == 0 {
		return nil
	}
	more := ""
	if count > len(bad) {
		more = fmt.Sprintf(" and %d more", count-len(bad))
	}
	return fmt.Errorf("%d of %d rows hold NaN or infinite values (rows %s%s, 0-based; the first at column %d is %v): "+
		"features must be finite", count, n, strings.Join(bad, ", "), more, first[1], X.At(first[0], first[1]))
}

// ParseLabels decodes a .npy file holding a non-empty 1-D integer array.
func ParseLabels(b []byte) ([]int, error) {
	a, err := parseNPY(b)
	if err != nil {
		return nil, err
	}
	if len(a.shape) != 1 || a.shape[0] == 0 {
		return nil, fmt.Errorf("shape %v, want a non-empty 1-D array of labels", a.shape)
	}
	out := make([]int, a.shape[0])
	for i := range out {
		switch a.descr {
		case "<i8":
			out[i] = int(int64(binary.LittleEndian.Uint64(a.data[8*i:])))
		case "<i4":
			out[i] = int(int32(binary.LittleEndian.Uint32(a.data[4*i:])))
		case "|u1", "<u1":
			out[i] = int(a.data[i])
		case "|i1":
			out[i] = int(int8(a.data[i]))
		default:
			return nil, fmt.Errorf("element type %s, want int64, int32 or uint8", a.descr)
		}
	}
	return out, nil
}

// ReadMatrix reads a 2-D float32 or float64 .npy file as a matrix.
func ReadMatrix(path string) (*mat.Dense, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	X, err := ParseMatrix(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return X, nil
}

// ReadLabels reads a 1-D integer .npy file.
func ReadLabels(path string) ([]int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	y, err := ParseLabels(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return y, nil
}
