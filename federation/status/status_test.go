package status

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/nistgmm/nistgmm/federated/mixture"
	"github.com/nistgmm/nistgmm/federated/server"
	"github.com/nistgmm/nistgmm/federation/coordinator"
	"gonum.org/v1/gonum/mat"
)

type fake struct {
	rounds []coordinator.RoundView
	ch     chan struct{}
}

func (f *fake) Snapshot() []coordinator.RoundView { return f.rounds }
func (f *fake) Changed() <-chan struct{}          { return f.ch }

// TestPageWithoutBrowser renders a finished round: sites with their
// reasons (escaped), the weights and one ellipse per component.
func TestPageWithoutBrowser(t *testing.T) {
	m := &mixture.Mixture{Weights: []float64{0.25, 0.75}}
	for c := 0; c < 2; c++ {
		m.Means = append(m.Means, []float64{float64(5 * c), 1, -float64(c)})
		s := mat.NewSymDense(3, nil)
		for j := 0; j < 3; j++ {
			s.SetSym(j, j, 1)
		}
		s.SetSym(0, 1, 0.5)
		m.Covs = append(m.Covs, s)
	}
	rep := &server.Report{Mixture: m.ToJSON(), Kept: []string{"a"}, Coat: "a"}
	src := &fake{ch: make(chan struct{}), rounds: []coordinator.RoundView{{ID: 3, Phase: "done", K: 2, D: 3, Quorum: 3, OpenedAt: time.Now(),
		Sites: []coordinator.SiteState{{Site: "a", State: "kept"}, {Site: "b", State: "invalid", Reason: "reveal refused: <script>x</script>"}}, Report: rep}}}
	srv := httptest.NewServer(Handler(src, nil))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/status")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	page := string(body)
	for _, want := range []string{`id="round-3"`, `data-site="a"`, `data-site="b"`, "&lt;script&gt;", "25.0%", "75.0%", "EventSource"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Contains(page, "<script>x</script>") {
		t.Error("a site's reason was not escaped")
	}
	if n := strings.Count(page, "<ellipse"); n != 2 {
		t.Errorf("%d ellipses, want 2", n)
	}
}
