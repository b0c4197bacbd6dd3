// Package plural writes counts with their nouns: "1 machine", "2 machines".
package plural

import "strconv"

// Count returns n and the noun, with an "s" unless n is 1 (nouns whose
// plural is not noun+"s" are not used by the messages).
func Count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
