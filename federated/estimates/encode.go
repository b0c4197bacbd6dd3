package estimates

import (
	"encoding/json"
	"fmt"
	"io"
)

// EncodeEstimates writes ests in the exchange format, one machine at a
// time, so that memory never holds the whole document.
func EncodeEstimates(w io.Writer, ests []Estimate) error {
	format, err := json.Marshal(EstimatesFormat)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(w, `{"format":%s,"machines":`, format); err != nil {
		return err
	}
	if len(ests) == 0 {
		_, err := io.WriteString(w, "null}\n")
		return err
	}
	for i, e := range ests {
		b, err := json.Marshal(MachineJSON{ID: e.ID, N: e.N, MixtureJSON: e.Mixture.ToJSON()})
		if err != nil {
			return fmt.Errorf("estimate %d: %w", i, err)
		}
		sep := ","
		if i == 0 {
			sep = "["
		}
		if _, err := io.WriteString(w, sep); err != nil {
			return err
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	_, err = io.WriteString(w, "]}\n")
	return err
}
