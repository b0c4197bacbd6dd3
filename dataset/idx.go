package dataset

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
)

// Images is a stack of grayscale images, one byte a pixel, row-major.
type Images struct {
	N, Rows, Cols int
	Pixels        []uint8
}

// Image returns image i's pixels.
func (im *Images) Image(i int) []uint8 {
	s := im.Rows * im.Cols
	return im.Pixels[i*s : (i+1)*s]
}

// maxIDXBytes caps what a header may claim, so a corrupt header cannot make
// us allocate the machine's memory.
const maxIDXBytes = 1 << 34

// readIDX reads an IDX file of unsigned bytes, gzip-compressed or not, and
// returns its dimensions and data.
func readIDX(r io.Reader) ([]int, []uint8, error) {
	br := bufio.NewReader(r)
	magic, err := br.Peek(2)
	if err != nil {
		return nil, nil, fmt.Errorf("IDX: %w", err)
	}
	var src io.Reader = br
	if magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, nil, fmt.Errorf("IDX: gzip: %w", err)
		}
		defer gz.Close()
		src = gz
	}
	var head [4]byte
	if _, err := io.ReadFull(src, head[:]); err != nil {
		return nil, nil, fmt.Errorf("IDX: header: %w", err)
	}
	if head[0] != 0 || head[1] != 0 {
		return nil, nil, fmt.Errorf("IDX: bad magic %x: not an IDX file", head)
	}
	if head[2] != 0x08 {
		return nil, nil, fmt.Errorf("IDX: element type 0x%02x, only unsigned bytes (0x08) are supported", head[2])
	}
	dims := make([]int, head[3])
	total := 1
	for i := range dims {
		var v uint32
		if err := binary.Read(src, binary.BigEndian, &v); err != nil {
			return nil, nil, fmt.Errorf("IDX: dimension %d: %w", i, err)
		}
		dims[i] = int(v)
		total *= int(v)
		if total > maxIDXBytes {
			return nil, nil, fmt.Errorf("IDX: header claims more than %d bytes", maxIDXBytes)
		}
	}
	data := make([]uint8, total)
	if _, err := io.ReadFull(src, data); err != nil {
		return nil, nil, fmt.Errorf("IDX: data (%d bytes expected): %w", total, err)
	}
	return dims, data, nil
}

// ReadIDXImages reads an idx3-ubyte image file.
func ReadIDXImages(r io.Reader) (*Images, error) {
	dims, data, err := readIDX(r)
	if err != nil {
		return nil, err
	}
	if len(dims) != 3 {
		return nil, fmt.Errorf("IDX images: %d dimensions, want 3", len(dims))
	}
	return &Images{N: dims[0], Rows: dims[1], Cols: dims[2], Pixels: data}, nil
}

// ReadIDXLabels reads an idx1-ubyte label file.
func ReadIDXLabels(r io.Reader) ([]uint8, error) {
	dims, data, err := readIDX(r)
	if err != nil {
		return nil, err
	}
	if len(dims) != 1 {
		return nil, fmt.Errorf("IDX labels: %d dimensions, want 1", len(dims))
	}
	return data, nil
}

// WriteIDXImages writes images as a plain idx3-ubyte file.
func WriteIDXImages(w io.Writer, im *Images) error {
	return writeIDX(w, []int{im.N, im.Rows, im.Cols}, im.Pixels)
}

// WriteIDXLabels writes labels as a plain idx1-ubyte file.
func WriteIDXLabels(w io.Writer, labels []uint8) error {
	return writeIDX(w, []int{len(labels)}, labels)
}

func writeIDX(w io.Writer, dims []int, data []uint8) error {
	var b bytes.Buffer
	b.Write([]byte{0, 0, 0x08, byte(len(dims))})
	for _, d := range dims {
		binary.Write(&b, binary.BigEndian, uint32(d))
	}
	if _, err := w.Write(b.Bytes()); err != nil {
		return err
	}
	_, err := w.Write(data)
	return err
}
