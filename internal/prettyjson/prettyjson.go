// Package prettyjson indents a JSON document for reading and editing by
// hand while keeping arrays of numbers or strings on one line, so that a
// covariance matrix reads as a matrix.
package prettyjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Write rewrites one JSON document for reading and editing by hand:
// objects one member a line, indented by two spaces, while an array of
// numbers or strings (a mean, a covariance row, a list of ids) stays on one
// line, so that a covariance matrix reads as a matrix. Numbers and key
// order are kept as they are.
func Write(w io.Writer, doc []byte) error {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var b strings.Builder
	if err := prettyValue(dec, &b, ""); err != nil {
		return fmt.Errorf("indenting JSON: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("indenting JSON: more than one document")
	}
	b.WriteByte('\n')
	_, err := io.WriteString(w, b.String())
	return err
}

// prettyValue writes the next value of dec at the indentation indent.
func prettyValue(dec *json.Decoder, b *strings.Builder, indent string) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('{'):
		b.WriteByte('{')
		members := 0
		for dec.More() {
			key, err := dec.Token()
			if err != nil {
				return err
			}
			if members > 0 {
				b.WriteByte(',')
			}
			members++
			b.WriteString("\n" + indent + "  ")
			writeScalar(b, key)
			b.WriteString(": ")
			if err := prettyValue(dec, b, indent+"  "); err != nil {
				return err
			}
		}
		if _, err := dec.Token(); err != nil {
			return err
		}
		if members > 0 {
			b.WriteString("\n" + indent)
		}
		b.WriteByte('}')
		return nil
	case json.Delim('['):
		var items []string
		flat := true
		for dec.More() {
			var item strings.Builder
			if err := prettyValue(dec, &item, indent+"  "); err != nil {
				return err
			}
			s := item.String()
			if strings.HasPrefix(s, "{") || strings.HasPrefix(s, "[") {
				flat = flat && (s == "{}" || s == "[]")
			}
			items = append(items, s)
		}
		if _, err := dec.Token(); err != nil {
			return err
		}
		if flat {
			b.WriteString("[" + strings.Join(items, ", ") + "]")
			return nil
		}
		b.WriteString("[")
		for i, s := range items {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString("\n" + indent + "  " + s)
		}
		b.WriteString("\n" + indent + "]")
		return nil
	}
	writeScalar(b, tok)
	return nil
}

func writeScalar(b *strings.Builder, tok json.Token) {
	switch v := tok.(type) {
	case nil:
		b.WriteString("null")
	case string:
		q, _ := json.Marshal(v)
		b.Write(q)
	case json.Number:
		b.WriteString(v.String())
	case bool:
		fmt.Fprint(b, v)
	}
}
