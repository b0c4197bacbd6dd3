package estimates

import (
	"encoding/json"
	"fmt"
	"io"
)

// EncodeEstimates writes ests in the exchange format, one machine at a
// time, so that memory never holds the whole document.
func EncodeEstimates(w io.Writer, ests []Estimate) error {
	enc := NewEncoder(w)
	for _, e := range ests {
		if err := enc.Encode(e); err != nil {
			return err
		}
	}
	return enc.Close()
}

// An Encoder writes an estimates document one machine at a time, for a
// writer whose estimates arrive one by one: the bytes EncodeEstimates
// writes for the estimates given to Encode in turn, once Close has ended
// the document.
type Encoder struct {
	w io.Writer
	n int // machines written
}

// NewEncoder returns an Encoder writing to w.
func NewEncoder(w io.Writer) *Encoder { return &Encoder{w: w} }

func (enc *Encoder) header() error {
	format, err := json.Marshal(EstimatesFormat)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(enc.w, `{"format":%s,"machines":`, format)
	return err
}

// Encode writes e, the next machine of the document.
func (enc *Encoder) Encode(e Estimate) error {
	if e.Mixture == nil {
		return fmt.Errorf("estimate %d (%s): no mixture", enc.n, QuoteID(e.ID))
	}
	b, err := json.Marshal(MachineJSON{ID: e.ID, N: e.N, MixtureJSON: e.Mixture.ToJSON()})
	if err != nil {
		return fmt.Errorf("estimate %d: %w", enc.n, err)
	}
	sep := ","
	if enc.n == 0 {
		if err := enc.header(); err != nil {
			return err
		}
		sep = "["
	}
	if _, err := io.WriteString(enc.w, sep); err != nil {
		return err
	}
	if _, err := enc.w.Write(b); err != nil {
		return err
	}
	enc.n++
	return nil
}

// Close ends the document (a document of no machine holds "machines": null).
func (enc *Encoder) Close() error {
	if enc.n == 0 {
		if err := enc.header(); err != nil {
			return err
		}
		_, err := io.WriteString(enc.w, "null}\n")
		return err
	}
	_, err := io.WriteString(enc.w, "]}\n")
	return err
}
