package experiments

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/nistgmm/nistgmm/internal/plural"
)

const (
	checkpointName = "reps.jsonl"
	configName     = "config.json"
)

// Repetition is one finished repetition of an experiment, as checkpointed.
type Repetition interface {
	// RepIndex is the repetition's number, 0-based.
	RepIndex() int
}

// store checkpoints the repetitions of one kind of experiment: its setup S
// in config.json, one JSON line per finished repetition R in reps.jsonl.
type store[S any, R Repetition] struct {
	// same reports whether two setups describe the same experiment (what
	// does not change results, such as the repetitions asked for, aside).
	same func(a, b S) bool
	// reps is the number of repetitions a setup asks for.
	reps func(S) int
	// withoutTiming clears what differs between machines running the same
	// repetition, to compare two copies of it.
	withoutTiming func(R) R
}

// readSetup reads the setup a folder's checkpoint belongs to.
func (st store[S, R]) readSetup(dir string) (S, error) {
	var s S
	data, err := os.ReadFile(filepath.Join(dir, configName))
	if err != nil {
		return s, fmt.Errorf("%s is not an experiment folder: %w", dir, err)
	}
	if err := json.Unmarshal(data, &s); err != nil {
		return s, fmt.Errorf("%s: %w", filepath.Join(dir, configName), err)
	}
	return s, nil
}

// load reads the finished repetitions in dir, after checking that dir
// holds the same experiment. A last line cut short by an interruption is
// dropped (and the file truncated to the last complete line).
func (st store[S, R]) load(dir string, setup S) (map[int]R, error) {
	done := map[int]R{}
	cfgPath := filepath.Join(dir, configName)
	if _, err := os.Stat(cfgPath); err == nil {
		prev, err := st.readSetup(dir)
		if err != nil {
			return nil, err
		}
		if !st.same(prev, setup) {
			return nil, fmt.Errorf("%s holds a different experiment (%s); write to another folder or delete that one", dir, cfgPath)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	path := filepath.Join(dir, checkpointName)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return done, nil
	}
	if err != nil {
		return nil, err
	}
	good := 0
	r := bufio.NewReader(bytes.NewReader(data))
	for {
		line, err := r.ReadBytes('\n')
		if err == io.EOF {
			break // an unterminated last line is an interrupted write
		}
		if err != nil {
			return nil, err
		}
		var rep R
		if json.Unmarshal(line, &rep) != nil {
			break
		}
		done[rep.RepIndex()] = rep
		good += len(line)
	}
	if good < len(data) {
		if err := os.Truncate(path, int64(good)); err != nil {
			return nil, err
		}
	}
	return done, nil
}

// checkpoint appends finished repetitions to reps.jsonl.
type checkpoint struct {
	f *os.File
}

func (st store[S, R]) open(dir string, setup S) (*checkpoint, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	data, err := json.MarshalIndent(setup, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, configName), data, 0o644); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, checkpointName), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, err
	}
	return &checkpoint{f: f}, nil
}

func (c *checkpoint) add(rep any) error {
	line, err := json.Marshal(rep)
	if err != nil {
		return err
	}
	if _, err := c.f.Write(append(line, '\n')); err != nil {
		return err
	}
	return c.f.Sync()
}

func (c *checkpoint) Close() error { return c.f.Close() }

// sorted returns the repetitions in order.
func sorted[R Repetition](done map[int]R) []R {
	out := make([]R, 0, len(done))
	for _, r := range done {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].RepIndex() < out[j].RepIndex() })
	return out
}

// write stores setup and reps as the checkpoint of dir (which must not
// hold another experiment), as a run that made them would have.
func (st store[S, R]) write(dir string, setup S, reps []R) error {
	done, err := st.load(dir, setup)
	if err != nil {
		return err
	}
	cp, err := st.open(dir, setup)
	if err != nil {
		return err
	}
	for i := range reps {
		if _, ok := done[reps[i].RepIndex()]; ok {
			continue
		}
		if err := cp.add(reps[i]); err != nil {
			cp.Close()
			return err
		}
	}
	return cp.Close()
}

// finished counts the repetitions of the shard already in dir (for
// progress bars).
func (st store[S, R]) finished(dir string, setup S, shard Shard) int {
	done, err := st.load(dir, setup)
	if err != nil {
		return 0
	}
	n := 0
	for rep := range done {
		if rep < st.reps(setup) && shard.owns(rep) {
			n++
		}
	}
	return n
}

// merge reads the checkpoints of shard folders, checks that they belong to
// one experiment and together hold each of its repetitions once (a
// repetition found twice must be identical but for its timings), and
// returns the setup and the repetitions in order, as an unsharded run of
// that setup returns them.
func (st store[S, R]) merge(dirs []string) (S, []R, error) {
	var setup S
	if len(dirs) == 0 {
		return setup, nil, errors.New("no shard folders")
	}
	all := map[int]R{}
	from := map[int]string{}
	for i, dir := range dirs {
		s, err := st.readSetup(dir)
		if err != nil {
			return setup, nil, err
		}
		if i == 0 {
			setup = s
		} else if !st.same(setup, s) || st.reps(setup) != st.reps(s) {
			return setup, nil, fmt.Errorf("%s holds a different experiment from %s (compare their %s)", dir, dirs[0], configName)
		}
		done, err := st.load(dir, s)
		if err != nil {
			return setup, nil, err
		}
		for rep, r := range done {
			if prev, ok := all[rep]; ok {
				a, _ := json.Marshal(st.withoutTiming(prev))
				b, _ := json.Marshal(st.withoutTiming(r))
				if !bytes.Equal(a, b) {
					return setup, nil, fmt.Errorf("repetition %d differs between %s and %s", rep, from[rep], dir)
				}
				continue
			}
			all[rep], from[rep] = r, dir
		}
	}
	var missing []int
	for rep := 0; rep < st.reps(setup); rep++ {
		if _, ok := all[rep]; !ok {
			missing = append(missing, rep)
		}
	}
	if len(missing) > 0 {
		return setup, nil, fmt.Errorf("%d of %s missing (first: %d); run the missing shards (or resume them) first", len(missing), plural.Count(st.reps(setup), "repetition"), missing[0])
	}
	for rep := range all {
		if rep >= st.reps(setup) {
			delete(all, rep)
		}
	}
	return setup, sorted(all), nil
}
