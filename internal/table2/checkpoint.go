package table2

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"sort"

	"github.com/nistgmm/nistgmm/eval"
)

const (
	checkpointName = "reps.jsonl"
	configName     = "config.json"
)

// Setup is what must not change between a run and its resumption.
type Setup struct {
	Config   eval.Config `json:"config"`
	Reps     int         `json:"reps"`
	Features string      `json:"features"` // manifest checksum or folder of the features used
}

// sameExperiment compares setups, ignoring what does not affect results
// (workers, repetitions asked for).
func sameExperiment(a, b Setup) bool {
	a.Config.Workers, b.Config.Workers = 0, 0
	a.Reps, b.Reps = 0, 0
	return reflect.DeepEqual(a, b)
}

// loadCheckpoint reads the finished repetitions in dir. A last line cut
// short by an interruption is dropped (and the file truncated to the last
// complete line).
// readSetup reads the setup a folder's checkpoint belongs to.
func readSetup(dir string) (Setup, error) {
	var s Setup
	data, err := os.ReadFile(filepath.Join(dir, configName))
	if err != nil {
		return s, fmt.Errorf("%s is not a reproduction folder: %w", dir, err)
	}
	if err := json.Unmarshal(data, &s); err != nil {
		return s, fmt.Errorf("%s: %w", filepath.Join(dir, configName), err)
	}
	return s, nil
}

func loadCheckpoint(dir string, setup Setup) (map[int]eval.RepResult, error) {
	done := map[int]eval.RepResult{}
	cfgPath := filepath.Join(dir, configName)
	if data, err := os.ReadFile(cfgPath); err == nil {
		var prev Setup
		if err := json.Unmarshal(data, &prev); err != nil {
			return nil, fmt.Errorf("%s: %w", cfgPath, err)
		}
		if !sameExperiment(prev, setup) {
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
		var rep eval.RepResult
		if json.Unmarshal(line, &rep) != nil {
			break
		}
		done[rep.Rep] = rep
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

func openCheckpoint(dir string, setup Setup) (*checkpoint, error) {
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

func (c *checkpoint) add(rep *eval.RepResult) error {
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
func sorted(done map[int]eval.RepResult) []eval.RepResult {
	out := make([]eval.RepResult, 0, len(done))
	for _, r := range done {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Rep < out[j].Rep })
	return out
}

// WriteCheckpoint writes setup and reps as the checkpoint of dir (which
// must not hold another experiment), as a run that made them would have.
func WriteCheckpoint(dir string, setup Setup, reps []eval.RepResult) error {
	done, err := loadCheckpoint(dir, setup)
	if err != nil {
		return err
	}
	cp, err := openCheckpoint(dir, setup)
	if err != nil {
		return err
	}
	for i := range reps {
		if _, ok := done[reps[i].Rep]; ok {
			continue
		}
		if err := cp.add(&reps[i]); err != nil {
			cp.Close()
			return err
		}
	}
	return cp.Close()
}
