package report

import (
	"encoding/json"

	"github.com/nistgmm/nistgmm/experiments"
)

// RunJSON is one run's result as a JSON document: the configuration with the penalty
// scale "auto" when each machine chooses it, the features' folder and model
// apart, and machines named as in the text output (m41, not 41).
func RunJSON(c experiments.Table2Config, dir, model string, a experiments.AlphaResult, timing experiments.Timing) (map[string]any, error) {
	toMap := func(v any) (map[string]any, error) {
		b, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		var m map[string]any
		return m, json.Unmarshal(b, &m)
	}
	cfg, err := toMap(c)
	if err != nil {
		return nil, err
	}
	if c.PenaltyScale == 0 {
		cfg["penalty_scale"] = "auto"
	}
	res, err := toMap(a)
	if err != nil {
		return nil, err
	}
	names := func(idx []int) []string {
		out := []string{}
		for _, i := range idx {
			out = append(out, experiments.MachineName(i))
		}
		return out
	}
	res["byzantine"] = names(a.Byzantine)
	res["coat"] = experiments.MachineName(a.Coat)
	dist := map[string]float64{}
	for i, v := range a.CoatDistances {
		if v >= 0 {
			dist[experiments.MachineName(i)] = v
		}
	}
	res["coat_distances"] = dist
	methods, _ := res["methods"].([]any)
	for j, m := range a.Methods {
		mm := methods[j].(map[string]any)
		mm["kept"], mm["flagged"] = names(m.Kept), names(m.Flagged)
	}
	tm, err := toMap(timing)
	if err != nil {
		return nil, err
	}
	return map[string]any{"config": cfg, "features": map[string]string{"folder": dir, "model_sha256": model}, "result": res, "timing": tm}, nil
}
