package estimates

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/nistgmm/nistgmm/federated/mixture"
)

// Estimate is what one machine transmits: its fitted mixture and the number
// of observations it was fitted on.
type Estimate struct {
	ID      string
	N       int
	Mixture *mixture.Mixture
	// Malformed, when not empty, says why the transmitted estimate could not
	// even be decoded; Prepare lists such an estimate as invalid.
	Malformed string
}

// MaxIDLength bounds how much of an estimate's id human-readable output
// shows: ids come from the machines and may be hostile.
const MaxIDLength = 64

// QuoteID makes an id safe to print in logs and messages: quoted, with
// control characters (ANSI escapes, NUL, CR, LF) and invalid UTF-8
// escaped, and cut to MaxIDLength bytes with "..." after.
func QuoteID(id string) string {
	if len(id) > MaxIDLength {
		cut := MaxIDLength
		for cut > 0 && !utf8.RuneStart(id[cut]) {
			cut--
		}
		return strconv.Quote(id[:cut]) + "..."
	}
	return strconv.Quote(id)
}

// QuoteIDs lists ids for a message, each quoted by QuoteID: at most limit
// of them and how many more, or "none".
func QuoteIDs(ids []string, limit int) string {
	if len(ids) == 0 {
		return "none"
	}
	var parts []string
	for i, id := range ids {
		if i == limit {
			parts = append(parts, fmt.Sprintf("and %d more", len(ids)-limit))
			break
		}
		parts = append(parts, QuoteID(id))
	}
	return strings.Join(parts, ", ")
}
