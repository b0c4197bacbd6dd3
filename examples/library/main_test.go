package main

import (
	"strings"
	"testing"
)

// The example names machines by their ids, as the nistgmm command does,
// not by their indices, and the corrupted machine is among the flagged.
func TestExampleNamesMachines(t *testing.T) {
	var b strings.Builder
	if err := run(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	_, flagged, _ := strings.Cut(out, "flagged ")
	if strings.ContainsAny(out, "[]") || !strings.Contains(flagged, `"site04"`) || !strings.Contains(out, "kept \"site") {
		t.Errorf("example printed %q", out)
	}
}
