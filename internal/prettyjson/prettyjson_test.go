package prettyjson

import (
	"strings"
	"testing"
)

// Objects get a member a line; flat arrays stay on one line; numbers and
// key order are kept as written.
func TestWrite(t *testing.T) {
	var b strings.Builder
	doc := `{"b":1.50,"a":[[1,2],[3,4]],"ids":["x","y"],"empty":{},"none":[],"z":null,"t":true}`
	if err := Write(&b, []byte(doc)); err != nil {
		t.Fatal(err)
	}
	want := `{
  "b": 1.50,
  "a": [
    [1, 2],
    [3, 4]
  ],
  "ids": ["x", "y"],
  "empty": {},
  "none": [],
  "z": null,
  "t": true
}
`
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
	if err := Write(&b, []byte(`{} {}`)); err == nil {
		t.Error("two documents accepted")
	}
}
