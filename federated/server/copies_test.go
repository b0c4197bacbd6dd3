package server

import (
	"slices"
	"testing"
)

// A copy group's representative is chosen by content, not position.
func TestGroupCopiesIgnoresPositions(t *testing.T) {
	links := []copyLink{{0, 1}, {1, 2}, {4, 5}}
	rep := groupCopies(6, links, []uint64{9, 3, 7, 1, 5, 2})
	if want := []int{1, 1, 1, 3, 5, 5}; !slices.Equal(rep, want) {
		t.Errorf("representatives %v, want %v", rep, want)
	}
}
