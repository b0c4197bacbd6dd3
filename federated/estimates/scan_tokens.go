package estimates

import (
	"math"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// number consumes a number token and returns its text (valid until the
// next read) and value. Numbers beyond float64's range are infinite.
func (s *jsonScanner) number() ([]byte, float64, error) {
	c, _ := s.peek()
	switch c {
	case 'N':
		return []byte("NaN"), math.NaN(), s.literal("NaN")
	case 'I':
		return []byte("Infinity"), math.Inf(1), s.literal("Infinity")
	}
	// The token is every byte that may belong to a number; the whole of it
	// must be in the buffer.
	start := s.pos
	i := start
	for {
		for i < s.end && isNumberByte(s.buf[i]) {
			i++
		}
		if i < s.end || s.eof {
			break
		}
		i -= start
		s.fill(start)
		start = s.pos
		i += start
	}
	tok := s.buf[start:i]
	if len(tok) == 1 && tok[0] == '-' && i < s.end && s.buf[i] == 'I' {
		s.pos = i
		return []byte("-Infinity"), math.Inf(-1), s.literal("Infinity")
	}
	if !validNumber(tok) {
		return nil, 0, s.fail("invalid number %q", tok)
	}
	s.pos = i
	// A valid JSON number makes ParseFloat fail only on range, and then it
	// returns the infinity (or 0) it rounds to.
	v, _ := strconv.ParseFloat(unsafe.String(unsafe.SliceData(tok), len(tok)), 64)
	return tok, v, nil
}

func isNumberByte(c byte) bool {
	return c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'
}

// validNumber reports whether b is a number by JSON's grammar:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func validNumber(b []byte) bool {
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
			n++
		}
		return n
	}
	first := i
	n := digits()
	if n == 0 || n > 1 && b[first] == '0' {
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(b)
}

// str consumes a string token and returns its decoded bytes (valid until
// the next token). Invalid UTF-8 becomes U+FFFD, as encoding/json does.
func (s *jsonScanner) str() ([]byte, error) {
	if err := s.expect('"', "a string"); err != nil {
		return nil, err
	}
	s.tok = s.tok[:0]
	for {
		c, ok := s.readByte()
		if !ok {
			return nil, s.fail("unexpected end of input in a string")
		}
		switch {
		case c == '"':
			if !utf8.Valid(s.tok) {
				s.tok = []byte(string([]rune(string(s.tok))))
			}
			return s.tok, nil
		case c < 0x20:
			return nil, s.fail("control character %q in a string", c)
		case c != '\\':
			s.tok = append(s.tok, c)
			continue
		}
		e, ok := s.readByte()
		if !ok {
			return nil, s.fail("unexpected end of input in a string")
		}
		switch e {
		case 'u':
			r, err := s.hex4()
			if err != nil {
				return nil, err
			}
			if r >= 0xD800 && r < 0xDC00 {
				// A high surrogate and an escaped low one are one rune;
				// a lone surrogate is U+FFFD, as in encoding/json.
				c1, ok := s.readByte()
				if ok && c1 == '\\' {
					c2, ok := s.readByte()
					if !ok {
						return nil, s.fail("unexpected end of input in a string")
					}
					s.tok = utf8.AppendRune(s.tok, utf8.RuneError)
					if c2 != 'u' {
						if err := s.simpleEscape(c2); err != nil {
							return nil, err
						}
						continue
					}
					r2, err := s.hex4()
					if err != nil {
						return nil, err
					}
					if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
						s.tok = utf8.AppendRune(s.tok[:len(s.tok)-utf8.RuneLen(utf8.RuneError)], dec)
						continue
					}
					r = r2
				} else {
					if ok {
						s.unread()
					}
					r = utf8.RuneError
				}
			}
			if utf16.IsSurrogate(r) {
				r = utf8.RuneError
			}
			s.tok = utf8.AppendRune(s.tok, r)
		default:
			if err := s.simpleEscape(e); err != nil {
				return nil, err
			}
		}
	}
}

// simpleEscape appends the character of the one-letter escape \e.
func (s *jsonScanner) simpleEscape(e byte) error {
	switch e {
	case '"', '\\', '/':
		s.tok = append(s.tok, e)
	case 'b':
		s.tok = append(s.tok, '\b')
	case 'f':
		s.tok = append(s.tok, '\f')
	case 'n':
		s.tok = append(s.tok, '\n')
	case 'r':
		s.tok = append(s.tok, '\r')
	case 't':
		s.tok = append(s.tok, '\t')
	default:
		return s.fail("invalid escape \\%c in a string", e)
	}
	return nil
}

func (s *jsonScanner) hex4() (rune, error) {
	var r rune
	for i := 0; i < 4; i++ {
		c, ok := s.readByte()
		var v byte
		switch {
		case !ok:
			return 0, s.fail("unexpected end of input in a \\u escape")
		case c >= '0' && c <= '9':
			v = c - '0'
		case c >= 'a' && c <= 'f':
			v = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			v = c - 'A' + 10
		default:
			return 0, s.fail("invalid \\u escape")
		}
		r = r<<4 | rune(v)
	}
	return r, nil
}
