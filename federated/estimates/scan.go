package estimates

import (
	"errors"
	"fmt"
	"io"
)

// jsonScanner reads one JSON document as a stream of tokens, strictly by
// RFC 8259 plus the bare NaN, Infinity and -Infinity tokens Python's
// json.dump writes. It exists so that an estimates file of hundreds of
// megabytes is decoded at the speed of reading it, into the estimates
// alone, without a tree of the whole document (see DecodeEstimates).
type jsonScanner struct {
	r        io.Reader
	buf      []byte
	pos, end int   // unread bytes are buf[pos:end]
	base     int64 // offset of buf[0] in the input
	eof      bool
	tok      []byte // the last string token, reused
	err      error  // the first read error other than EOF
}

// syntaxError is a document that is not JSON, with where.
type syntaxError struct {
	msg string
	off int64
}

func (e *syntaxError) Error() string { return fmt.Sprintf("%s at byte %d", e.msg, e.off) }

func newJSONScanner(r io.Reader) *jsonScanner {
	return &jsonScanner{r: r, buf: make([]byte, 1<<20)}
}

func (s *jsonScanner) fail(format string, args ...any) error {
	if s.err != nil {
		return s.err
	}
	return &syntaxError{msg: fmt.Sprintf(format, args...), off: s.base + int64(s.pos)}
}

// fill moves the unread bytes from keep on to the front of the buffer and
// reads more after them; keep <= pos. It reports whether it read anything.
func (s *jsonScanner) fill(keep int) bool {
	if s.eof {
		return false
	}
	n := copy(s.buf, s.buf[keep:s.end])
	s.base += int64(keep)
	s.pos -= keep
	s.end = n
	if s.end == len(s.buf) { // a token longer than the buffer
		s.buf = append(s.buf, make([]byte, len(s.buf))...)
	}
	for {
		k, err := s.r.Read(s.buf[s.end:])
		s.end += k
		if err != nil {
			s.eof = true
			if !errors.Is(err, io.EOF) && s.err == nil {
				s.err = err
			}
			return k > 0
		}
		if k > 0 {
			return true
		}
	}
}

// readByte returns the next byte, 0 and false at the end.
func (s *jsonScanner) readByte() (byte, bool) {
	if s.pos == s.end && !s.fill(s.pos) {
		return 0, false
	}
	c := s.buf[s.pos]
	s.pos++
	return c, true
}

// unread gives back the byte just read.
func (s *jsonScanner) unread() { s.pos-- }

// peek skips white space and returns the next byte without consuming it;
// false at the end of the input.
func (s *jsonScanner) peek() (byte, bool) {
	for {
		c, ok := s.readByte()
		if !ok {
			return 0, false
		}
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		}
		s.unread()
		return c, true
	}
}

// expect consumes c after white space.
func (s *jsonScanner) expect(c byte, what string) error {
	got, ok := s.peek()
	if !ok {
		return s.fail("unexpected end of input, want %s", what)
	}
	if got != c {
		return s.fail("unexpected %q, want %s", got, what)
	}
	s.readByte()
	return nil
}

// jsonKind is the kind of the next value.
type jsonKind int

const (
	jsonNull jsonKind = iota
	jsonBool
	jsonNumber
	jsonString
	jsonArray
	jsonObject
)

var jsonKindNames = [...]string{"null", "boolean", "number", "string", "array", "object"}

// kind returns the kind of the next value without consuming it.
func (s *jsonScanner) kind() (jsonKind, error) {
	c, ok := s.peek()
	if !ok {
		return 0, s.fail("unexpected end of input, want a value")
	}
	switch {
	case c == '{':
		return jsonObject, nil
	case c == '[':
		return jsonArray, nil
	case c == '"':
		return jsonString, nil
	case c == 't' || c == 'f':
		return jsonBool, nil
	case c == 'n':
		return jsonNull, nil
	case c == '-' || c >= '0' && c <= '9' || c == 'N' || c == 'I':
		return jsonNumber, nil
	}
	return 0, s.fail("unexpected %q, want a value", c)
}

// literal consumes word, which must follow.
func (s *jsonScanner) literal(word string) error {
	for i := 0; i < len(word); i++ {
		c, ok := s.readByte()
		if !ok || c != word[i] {
			return s.fail("invalid literal, want %s", word)
		}
	}
	return nil
}

// elements calls each for every element of the array that follows; each
// must consume exactly one value.
func (s *jsonScanner) elements(each func(i int) error) error {
	if err := s.expect('[', "an array"); err != nil {
		return err
	}
	if c, ok := s.peek(); ok && c == ']' {
		s.readByte()
		return nil
	}
	for i := 0; ; i++ {
		if err := each(i); err != nil {
			return err
		}
		c, ok := s.peek()
		if !ok {
			return s.fail("unexpected end of input in an array")
		}
		s.readByte()
		switch c {
		case ',':
		case ']':
			return nil
		default:
			return s.fail("unexpected %q in an array, want ',' or ']'", c)
		}
	}
}

// members calls each for every member of the object that follows, with its
// key (valid only during the call); each must consume the value.
func (s *jsonScanner) members(each func(key string) error) error {
	if err := s.expect('{', "an object"); err != nil {
		return err
	}
	if c, ok := s.peek(); ok && c == '}' {
		s.readByte()
		return nil
	}
	for {
		key, err := s.str()
		if err != nil {
			return err
		}
		if err := s.expect(':', "':' after an object key"); err != nil {
			return err
		}
		if err := each(string(key)); err != nil {
			return err
		}
		c, ok := s.peek()
		if !ok {
			return s.fail("unexpected end of input in an object")
		}
		s.readByte()
		switch c {
		case ',':
		case '}':
			return nil
		default:
			return s.fail("unexpected %q in an object, want ',' or '}'", c)
		}
	}
}

// skip consumes one value of any kind, checking its syntax.
func (s *jsonScanner) skip() error {
	k, err := s.kind()
	if err != nil {
		return err
	}
	switch k {
	case jsonObject:
		return s.members(func(string) error { return s.skip() })
	case jsonArray:
		return s.elements(func(int) error { return s.skip() })
	case jsonString:
		_, err := s.str()
		return err
	case jsonNumber:
		_, _, err := s.number()
		return err
	case jsonNull:
		return s.literal("null")
	}
	c, _ := s.peek()
	if c == 't' {
		return s.literal("true")
	}
	return s.literal("false")
}

// rawValue returns a copy of the object or array that follows and its
// offset in the input, found by matching brackets outside strings; its
// syntax is checked only when it is parsed.
func (s *jsonScanner) rawValue() ([]byte, int64, error) {
	if _, ok := s.peek(); !ok {
		return nil, 0, s.fail("unexpected end of input, want a value")
	}
	start := s.pos
	depth := 0
	inString, escaped := false, false
	i := start
	for {
		for ; i < s.end; i++ {
			c := s.buf[i]
			if inString {
				switch {
				case escaped:
					escaped = false
				case c == '\\':
					escaped = true
				case c == '"':
					inString = false
				}
				continue
			}
			switch c {
			case '"':
				inString = true
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					i++
					off := s.base + int64(start)
					raw := append([]byte(nil), s.buf[start:i]...)
					s.pos = i
					return raw, off, nil
				}
			}
		}
		if s.eof {
			s.pos = i
			return nil, 0, s.fail("unexpected end of input in an entry")
		}
		i -= start
		s.fill(start)
		start = s.pos
		i += start
	}
}

// finish checks that only white space follows the document.
func (s *jsonScanner) finish() error {
	if c, ok := s.peek(); ok {
		return s.fail("unexpected %q after the document", c)
	}
	return s.err
}
