// Package status serves the coordinator's status page and metrics:
// /status (server-rendered HTML: every round, each site's standing, the
// aggregate's weights and a picture of it), /events (server-sent events,
// one per change, which the page uses to redraw itself without a reload),
// /metrics (Prometheus text format).
package status

import (
	"bytes"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/nistgmm/nistgmm/federated/mixture"
	"github.com/nistgmm/nistgmm/federation/coordinator"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"gonum.org/v1/gonum/mat"
)

// Source is what the page shows: the coordinator.
type Source interface {
	Snapshot() []coordinator.RoundView
	Changed() <-chan struct{}
}

// Handler serves /status, /status/rounds (the page's live part alone),
// /events and /metrics.
func Handler(src Source, reg *prometheus.Registry) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/status", http.StatusFound) })
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, r *http.Request) { render(w, "page", src) })
	mux.HandleFunc("GET /status/rounds", func(w http.ResponseWriter, r *http.Request) { render(w, "rounds", src) })
	mux.HandleFunc("GET /events", func(w http.ResponseWriter, r *http.Request) { events(w, r, src) })
	if reg != nil {
		mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	}
	return mux
}

func render(w http.ResponseWriter, name string, src Source) {
	var buf bytes.Buffer
	if err := pageTemplate.ExecuteTemplate(&buf, name, view(src.Snapshot())); err != nil {
		http.Error(w, "status: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(buf.Bytes())
}

// events sends one event per change of any round until the client leaves.
func events(w http.ResponseWriter, r *http.Request, src Source) {
	fl, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	n := 0
	for {
		ch := src.Changed()
		fmt.Fprintf(w, "event: change\ndata: %d\n\n", n)
		fl.Flush()
		n++
		select {
		case <-r.Context().Done():
			return
		case <-ch:
		case <-time.After(30 * time.Second): // a keep-alive through proxies
		}
	}
}

type roundData struct {
	coordinator.RoundView
	Weights []weightRow
	SVG     template.HTML
}

type weightRow struct {
	Slot   int
	Weight float64
	Width  float64
}

func view(rounds []coordinator.RoundView) []roundData {
	out := make([]roundData, len(rounds))
	for i, r := range rounds {
		out[i].RoundView = r
		if r.Report == nil {
			continue
		}
		m, err := r.Report.Mixture.Mixture()
		if err != nil {
			continue
		}
		for k, w := range m.Weights {
			out[i].Weights = append(out[i].Weights, weightRow{Slot: k + 1, Weight: w, Width: 200 * w})
		}
		out[i].SVG = picture(m)
	}
	return out
}

// picture draws the mixture's means on the two leading principal axes of
// the mixture as a whole, with each component's 2-sigma ellipse there.
func picture(m *mixture.Mixture) template.HTML {
	d := m.Dim()
	if d == 0 {
		return ""
	}
	// The mixture's covariance: sum w (S + mu mu^T) - mean mean^T.
	mean := make([]float64, d)
	for k, w := range m.Weights {
		for j := range mean {
			mean[j] += w * m.Means[k][j]
		}
	}
	total := mat.NewSymDense(d, nil)
	for k, w := range m.Weights {
		for a := 0; a < d; a++ {
			for b := a; b < d; b++ {
				da, db := m.Means[k][a]-mean[a], m.Means[k][b]-mean[b]
				total.SetSym(a, b, total.At(a, b)+w*(m.Covs[k].At(a, b)+da*db))
			}
		}
	}
	axes := mat.NewDense(d, 2, nil)
	if d == 1 {
		axes.Set(0, 0, 1)
	} else {
		var eig mat.EigenSym
		if !eig.Factorize(total, true) {
			return ""
		}
		var vec mat.Dense
		eig.VectorsTo(&vec)
		// Ascending eigenvalues: the last two columns lead.
		for j := 0; j < d; j++ {
			axes.Set(j, 0, vec.At(j, d-1))
			axes.Set(j, 1, vec.At(j, d-2))
		}
	}
	type ell struct{ x, y, rx, ry, angle, w float64 }
	var es []ell
	minX, maxX, minY, maxY := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for k, w := range m.Weights {
		var x, y float64
		for j := 0; j < d; j++ {
			x += axes.At(j, 0) * (m.Means[k][j] - mean[j])
			y += axes.At(j, 1) * (m.Means[k][j] - mean[j])
		}
		// The component's covariance on the plane: A^T S A (2 x 2).
		var p mat.Dense
		p.Mul(axes.T(), m.Covs[k])
		var q mat.Dense
		q.Mul(&p, axes)
		a, b, c := q.At(0, 0), q.At(0, 1), q.At(1, 1)
		tr, det := a+c, a*c-b*b
		disc := math.Sqrt(math.Max(tr*tr/4-det, 0))
		l1, l2 := tr/2+disc, math.Max(tr/2-disc, 0)
		angle := 0.5 * math.Atan2(2*b, a-c) * 180 / math.Pi
		e := ell{x, y, 2 * math.Sqrt(l1), 2 * math.Sqrt(l2), angle, w}
		es = append(es, e)
		r := math.Max(e.rx, e.ry)
		minX, maxX = math.Min(minX, x-r), math.Max(maxX, x+r)
		minY, maxY = math.Min(minY, y-r), math.Max(maxY, y+r)
	}
	const W, H, pad = 420.0, 300.0, 10.0
	scale := math.Min((W-2*pad)/math.Max(maxX-minX, 1e-12), (H-2*pad)/math.Max(maxY-minY, 1e-12))
	if math.IsInf(scale, 0) || math.IsNaN(scale) {
		return ""
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg class="aggregate" xmlns="http://www.w3.org/2000/svg" width="%g" height="%g" viewBox="0 0 %g %g" role="img" aria-label="the aggregate's means on its two leading principal axes, with 2-sigma ellipses">`, W, H, W, H)
	fmt.Fprintf(&b, `<rect width="%g" height="%g" fill="#fafafa" stroke="#ccc"/>`, W, H)
	for k, e := range es {
		cx, cy := pad+(e.x-minX)*scale, H-pad-(e.y-minY)*scale
		fmt.Fprintf(&b, `<ellipse cx="%.2f" cy="%.2f" rx="%.2f" ry="%.2f" transform="rotate(%.2f %.2f %.2f)" fill="steelblue" fill-opacity="%.3f" stroke="steelblue"/>`,
			cx, cy, e.rx*scale, e.ry*scale, -e.angle, cx, cy, 0.08+0.6*e.w)
		fmt.Fprintf(&b, `<circle cx="%.2f" cy="%.2f" r="2.5" fill="black"/><text x="%.2f" y="%.2f" font-size="11">%d</text>`, cx, cy, cx+4, cy-4, k+1)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

var pageTemplate = template.Must(template.New("page").Funcs(template.FuncMap{
	"when": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04:05Z")
	},
	"pct": func(v float64) string { return strconv.FormatFloat(100*v, 'f', 1, 64) + "%" },
}).Parse(`{{define "page"}}<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>nistgmm federation</title>
<noscript><meta http-equiv="refresh" content="5"></noscript>
<style>
body{font-family:sans-serif;margin:1.5em;color:#222} table{border-collapse:collapse;margin:.5em 0}
td,th{border:1px solid #ddd;padding:.2em .5em;text-align:left;font-size:.9em} th{background:#f0f0f0}
.kept,.revealed{color:#15631a}.flagged,.invalid,.late{color:#a00}.committed{color:#555}.excluded,.set\ aside{color:#a60}
.bar{background:steelblue;height:.8em;display:inline-block} section{border-top:1px solid #ccc;margin-top:1em}
</style></head><body>
<h1>nistgmm federation</h1>
<p id="live">live updates: connecting</p>
<div id="rounds">{{template "rounds" .}}</div>
<script>
(function(){
  var live=document.getElementById('live');
  if(!window.EventSource){live.textContent='live updates: unsupported, reload to refresh';return;}
  var es=new EventSource('/events');
  es.addEventListener('change',function(){
    fetch('/status/rounds',{cache:'no-store'}).then(function(r){return r.text();}).then(function(html){
      document.getElementById('rounds').innerHTML=html;
      live.textContent='live updates: on, last '+new Date().toISOString();
    });
  });
  es.onerror=function(){live.textContent='live updates: reconnecting';};
})();
</script>
</body></html>{{end}}
{{define "rounds"}}{{if not .}}<p>No round yet: open one with <code>nistgmm round open</code>.</p>{{end}}
{{range .}}<section class="round" id="round-{{.ID}}" data-phase="{{.Phase}}">
<h2>Round {{.ID}}: <span class="phase">{{.Phase}}</span></h2>
<p>K = {{.K}}, d = {{.D}}, method {{.Method}}, quorum {{.Quorum}}; <span class="committed-count">{{.Committed}}</span> committed,
<span class="revealed-count">{{.Revealed}}</span> revealed. Opened {{when .OpenedAt}}, commits until {{when .CommitDeadline}},
reveals until {{when .RevealDeadline}}.{{if .AggregationSeconds}} Aggregated in {{printf "%.3f" .AggregationSeconds}} s.{{end}}</p>
{{if .Error}}<p class="invalid">Failed: {{.Error}}</p>{{end}}
<table class="sites"><tr><th>site</th><th>state</th><th>reason</th></tr>
{{range .Sites}}<tr class="site" data-site="{{.Site}}"><td>{{.Site}}</td><td class="{{.State}}">{{.State}}</td><td>{{.Reason}}</td></tr>
{{end}}</table>
{{if .Report}}<h3>Aggregate</h3>
<table class="weights"><tr><th>component</th><th>weight</th><th></th></tr>
{{range .Weights}}<tr><td>{{.Slot}}</td><td>{{pct .Weight}}</td><td><span class="bar" style="width:{{printf "%.1f" .Width}}px"></span></td></tr>{{end}}
</table>
<p>COAT {{.Report.Coat}}; {{len .Report.Kept}} kept, {{len .Report.Flagged}} flagged, {{len .Report.Invalid}} invalid, {{len .Report.SetAside}} set aside.
{{if .Report.Warning}}Warning: {{.Report.Warning}}{{end}}</p>
<figure>{{.SVG}}<figcaption>Means on the aggregate's two leading principal axes, 2-sigma ellipses, opacity by weight.</figcaption></figure>
{{end}}</section>
{{end}}{{end}}`))
