package estimates

import "testing"

// A list of ids is quoted, cut at the limit with a count of the rest.
func TestQuoteIDs(t *testing.T) {
	for _, c := range []struct {
		ids   []string
		limit int
		want  string
	}{
		{nil, 3, "none"},
		{[]string{"a", "b\x1b"}, 3, `"a", "b\x1b"`},
		{[]string{"a", "b", "c", "d"}, 2, `"a", "b", and 2 more`},
	} {
		if got := QuoteIDs(c.ids, c.limit); got != c.want {
			t.Errorf("QuoteIDs(%q, %d) = %s, want %s", c.ids, c.limit, got, c.want)
		}
	}
}
