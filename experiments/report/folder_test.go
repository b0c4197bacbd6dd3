package report

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nistgmm/nistgmm/experiments"
)

// A folder's name depends on what the run computes, not on how many
// repetitions or goroutines it uses.
func TestFolderNamesFollowTheConfiguration(t *testing.T) {
	a := experiments.Table2Setup{Config: experiments.NewTable2Config(), Reps: 10}
	b := a
	b.Reps, b.Config.Workers = 300, 4
	if Table2Folder(a) != Table2Folder(b) || !strings.HasPrefix(Table2Folder(a), filepath.Join("runs", string(a.Config.Distance))) {
		t.Errorf("%s and %s", Table2Folder(a), Table2Folder(b))
	}
	b.Config.Seed++
	if Table2Folder(a) == Table2Folder(b) {
		t.Error("two seeds share a folder")
	}
	s, err := experiments.NewSimConfig(3)
	if err != nil {
		t.Fatal(err)
	}
	if got := SimFolder(experiments.SimSetup{Config: s}); !strings.HasPrefix(got, filepath.Join("runs", "sim-fig3-")) {
		t.Errorf("simulation folder %s", got)
	}
}

// The outputs and command.txt are written in order, and said so.
func TestWriteFolder(t *testing.T) {
	dir := t.TempDir()
	var log strings.Builder
	err := WriteFolder(dir, "nistgmm run", []Output{
		{Name: "a.md", Text: func(w io.Writer) error { _, err := io.WriteString(w, "table\n"); return err }},
		{Name: "b.png", Image: func(path string) error { return os.WriteFile(path, []byte("png"), 0o644) }},
	}, &log)
	if err != nil {
		t.Fatal(err)
	}
	cmd, _ := os.ReadFile(filepath.Join(dir, "command.txt"))
	a, _ := os.ReadFile(filepath.Join(dir, "a.md"))
	if string(cmd) != "nistgmm run\n" || string(a) != "table\n" || log.String() != "wrote a.md, b.png and command.txt in "+dir+"\n" {
		t.Errorf("command %q, a.md %q, log %q", cmd, a, log.String())
	}
}
