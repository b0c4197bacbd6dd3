package coordinator_test

import (
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/nistgmm/nistgmm/federation"
	"github.com/nistgmm/nistgmm/federation/coordinator"
	pb "github.com/nistgmm/nistgmm/federation/proto/v1"
	"github.com/nistgmm/nistgmm/federation/status"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

func statusHandler(c *coordinator.Coordinator, reg *prometheus.Registry) http.Handler {
	return status.Handler(c, reg)
}

// chromium finds Debian's chromium (scripts/setup.sh installs it).
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{os.Getenv("CHROMIUM"), "chromium", "chromium-browser", "google-chrome"} {
		if name == "" {
			continue
		}
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no chromium on this machine: scripts/setup.sh installs it (apt-get install chromium); the status page's browser test needs it")
	return ""
}

// TestStatusPageInBrowser loads /status in headless chromium: the page
// lists the sites, and changes without a reload when a reveal arrives.
func TestStatusPageInBrowser(t *testing.T) {
	browser := chromium(t)
	const k, d = 2, 3
	f := start(t, newPKI(t, 3), t.TempDir(), withStatus(statusHandler))
	op := f.client("operator")
	info := open(t, op, k, d, 3, time.Minute, time.Minute)
	mixes := honestMixtures(3, k, d, 8)
	ctx := ctxT(t, 2*time.Minute)
	subs := make([]sub, 3)
	clients := make([]pb.CoordinatorClient, 3)
	for i := range subs {
		subs[i].est, _ = federation.MarshalEstimate("", info.RoundId, 100, mixes[i])
		subs[i].nonce, _ = federation.NewNonce()
		clients[i] = f.client(siteName(i))
		if _, err := clients[i].Commit(ctx, &pb.CommitRequest{RoundId: info.RoundId, Commitment: federation.Commitment(subs[i].nonce, subs[i].est)}); err != nil {
			t.Fatal(err)
		}
	}
	waitPhase(t, op, info.RoundId, pb.Phase_PHASE_REVEAL)

	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browser), chromedp.NoSandbox, chromedp.Headless, chromedp.DisableGPU)...)
	defer cancelAlloc()
	bctx, cancelB := chromedp.NewContext(allocCtx)
	defer cancelB()
	url := "http://" + f.statusAddr + "/status"
	poll := func(expr string, within time.Duration) chromedp.Action[chromedp.Void] {
		return chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(within))
	}
	err := chromedp.Do(bctx,
		chromedp.Navigate(url),
		chromedp.WaitVisible(chromedp.CSS("#round-1")),
		// The event stream is connected once the page says so.
		poll(`document.getElementById('live').textContent.indexOf('connecting') < 0`, 20*time.Second),
	)
	if err != nil {
		t.Fatalf("loading %s: %v", url, err)
	}
	sites, err := chromedp.Run(bctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('tr.site')).map(r => r.dataset.site)`))
	if err != nil {
		t.Fatal(err)
	}
	revealed, err := chromedp.Run(bctx, chromedp.Evaluate[string](`document.querySelector('#round-1 .revealed-count').textContent`))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(sites, ",") != "site-00,site-01,site-02" || revealed != "0" {
		t.Fatalf("the page lists sites %v with %q revealed, want the three sites and 0", sites, revealed)
	}
	// Mark the document: a reload would lose the mark.
	if _, err := chromedp.Run(bctx, chromedp.Evaluate[int](`window.__mark = 1; 1`)); err != nil {
		t.Fatal(err)
	}
	if _, err := clients[0].Reveal(ctx, &pb.RevealRequest{RoundId: info.RoundId, Estimate: subs[0].est, Nonce: subs[0].nonce}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(bctx, poll(`document.querySelector('#round-1 .revealed-count').textContent === '1'`, 20*time.Second)); err != nil {
		t.Fatalf("the page did not show the reveal: %v", err)
	}
	state, err := chromedp.Run(bctx, chromedp.Evaluate[string](`document.querySelector('tr.site[data-site="site-00"] td:nth-child(2)').textContent`))
	if err != nil {
		t.Fatal(err)
	}
	mark, err := chromedp.Run(bctx, chromedp.Evaluate[int](`window.__mark || 0`))
	if err != nil {
		t.Fatal(err)
	}
	if state != "revealed" || mark != 1 {
		t.Fatalf("after the reveal site-00 shows %q and the mark is %d (0: the page was reloaded)", state, mark)
	}
	// The rest reveal: the page shows the aggregate and its picture.
	for i := 1; i < 3; i++ {
		if _, err := clients[i].Reveal(ctx, &pb.RevealRequest{RoundId: info.RoundId, Estimate: subs[i].est, Nonce: subs[i].nonce}); err != nil {
			t.Fatal(err)
		}
	}
	if err := chromedp.Do(bctx, poll(`document.querySelector('#round-1').dataset.phase === 'done'`, 60*time.Second)); err != nil {
		t.Fatalf("the page did not show the finished round: %v", err)
	}
	ellipses, err := chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelectorAll('#round-1 svg.aggregate ellipse').length`))
	if err != nil || ellipses != k {
		t.Fatalf("the finished round's picture has %d ellipses (%v), want %d", ellipses, err, k)
	}
}

// TestMetricsParse scrapes /metrics after a round and reads it with
// Prometheus's own text parser.
func TestMetricsParse(t *testing.T) {
	f := start(t, newPKI(t, 3), t.TempDir(), withStatus(statusHandler))
	op := f.client("operator")
	info := open(t, op, 2, 3, 3, time.Minute, time.Minute)
	ctx := ctxT(t, time.Minute)
	a := f.client(siteName(0))
	if _, err := a.Commit(ctx, &pb.CommitRequest{RoundId: info.RoundId, Commitment: make([]byte, 32)}); err != nil {
		t.Fatal(err)
	}
	a.Commit(ctx, &pb.CommitRequest{RoundId: info.RoundId, Commitment: make([]byte, 32)})
	a.Commit(ctx, &pb.CommitRequest{RoundId: info.RoundId, Commitment: make([]byte, 31)})
	resp, err := http.Get("http://" + f.statusAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("/metrics is not Prometheus text: %v", err)
	}
	value := func(name string, labels map[string]string) float64 {
		fam, ok := fams[name]
		if !ok {
			t.Fatalf("/metrics has no %s", name)
		}
		for _, m := range fam.Metric {
			match := true
			for _, lp := range m.Label {
				if v, ok := labels[lp.GetName()]; ok && v != lp.GetValue() {
					match = false
				}
			}
			if match {
				switch {
				case m.Counter != nil:
					return m.Counter.GetValue()
				case m.Gauge != nil:
					return m.Gauge.GetValue()
				case m.Histogram != nil:
					return float64(m.Histogram.GetSampleCount())
				}
			}
		}
		t.Fatalf("%s has no series %v", name, labels)
		return 0
	}
	checks := []struct {
		name   string
		labels map[string]string
		want   func(float64) bool
	}{
		{"nistgmm_federation_rounds_opened_total", nil, func(v float64) bool { return v == 1 }},
		{"nistgmm_federation_submissions_total", map[string]string{"kind": "commit", "outcome": "accepted"}, func(v float64) bool { return v == 1 }},
		{"nistgmm_federation_submissions_total", map[string]string{"kind": "commit", "outcome": "duplicate"}, func(v float64) bool { return v == 1 }},
		{"nistgmm_federation_submissions_total", map[string]string{"kind": "commit", "outcome": "refused"}, func(v float64) bool { return v == 1 }},
		{"nistgmm_federation_store_bytes", nil, func(v float64) bool { return v > 0 }},
		{"nistgmm_federation_aggregation_seconds", nil, func(v float64) bool { return v == 0 }},
	}
	for _, c := range checks {
		if v := value(c.name, c.labels); !c.want(v) {
			t.Errorf("%s%v = %v", c.name, c.labels, v)
		}
	}
}
