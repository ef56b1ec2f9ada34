package rollout

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slipway-actions/slipway/internal/analysis"
	"github.com/slipway-actions/slipway/internal/analysis/analysistest"
)

// queries is a proxy in front of Prometheus that tells, on a channel, of each query it passes.
func queries(t *testing.T, prometheus string) (string, <-chan struct{}) {
	t.Helper()
	u, err := url.Parse(prometheus)
	if err != nil {
		t.Fatal(err)
	}
	seen := make(chan struct{}, 1000)
	proxy := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proxy.ServeHTTP(w, r)
		if r.URL.Path == "/api/v1/query" {
			seen <- struct{}{}
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL, seen
}

// waitForData polls Prometheus until the query has a value: the exporter has been scraped twice.
func waitForData(t *testing.T, prometheus, query string) {
	t.Helper()
	p := analysis.Prometheus{Address: prometheus, Query: query, Success: &analysis.Condition{Op: ">=", Threshold: 0}}
	for deadline := time.Now().Add(60 * time.Second); ; {
		m := p.Measure(t.Context(), analysis.Target{})
		if m.Phase == analysis.Successful {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("Prometheus had no value for %s within 60s: %s", query, m.Detail)
		}
		select {
		case <-t.Context().Done():
			return
		case <-time.After(200 * time.Millisecond): // polling a condition, not a synchronisation
		}
	}
}

// Real Prometheus (Debian's) scraping the test's exporter every second: the rollout goes to 10%
// and bakes 2 minutes with the error rate sampled each second; after the third sample the test
// raises the exporter's error rate. The gate fails at the sample that sees it, long before the
// end of the bake, and the flag is restored.
func TestRun_AnAnalysisFailsMidBakeAndTheFlagIsRestored(t *testing.T) {
	t.Parallel()
	exp := analysistest.NewExporter(t, []string{"alice", "bob", "carol"})
	prom := analysistest.Prometheus(t, exp.Host)
	const errorRate = `sum(rate(app_errors_total[3s])) / sum(rate(app_requests_total[3s]))`
	waitForData(t, prom, errorRate)
	proxied, seen := queries(t, prom)
	specs, errs := analysis.Parse(`
- name: error-rate
  interval: 1s
  prometheus:
    address: ` + proxied + `
    query: ` + errorRate + `
  success: result < 0.1
`)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	go func() {
		for range 3 {
			<-seen
		}
		exp.SetErrorRate(func(string) float64 { return 0.5 })
	}()
	w := newWorld(t, unversioned)
	const bake = 2 * time.Minute
	start := time.Now()
	res, err := w.run(t, Config{Percentage: pct(10), StepWait: bake, Gate: Gate{Analysis: specs}})
	took := time.Since(start)
	var ge *GateError
	if !errors.As(err, &ge) || ge.Result.Phase != analysis.Failed {
		t.Fatalf("err = %v, want the analysis to fail", err)
	}
	samples := res.Steps[0].Gate.Samples
	last := samples[len(samples)-1]
	if len(samples) < 4 || last.Phase != analysis.Failed || last.At >= bake || took >= bake {
		t.Errorf("the bake ended after %s at sample %d (%+v), want a failure at a sample after the third, before %s", took, len(samples), last, bake)
	}
	for i, s := range samples[:3] {
		if s.Phase != analysis.Successful {
			t.Errorf("sample %d before the rise: %+v", i+1, s)
		}
	}
	if !strings.Contains(err.Error(), "restored to its state before the run") || !res.RolledBack || res.Left != LeftPrevious {
		t.Errorf("err = %v, left %v: want restored", err, res.Left)
	}
	if st := w.state(); len(st.Overrides) != 0 || w.segment(rolloutSegment) != nil {
		t.Errorf("state = %+v, want the state before the run", st)
	}
}

// On the bake's injected clock a 30-minute step-wait takes no time: a URL metric sampled every 5
// minutes passes twice and fails at its third sample, 15 minutes in; the run ends there, the
// second step never starts, and the flag is restored.
func TestRun_AFailureAtAnySampleEndsTheBakeThere(t *testing.T) {
	t.Parallel()
	var n atomic.Int32
	health := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if n.Add(1) >= 3 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer health.Close()
	specs, errs := analysis.Parse("- name: health\n  interval: 5m\n  url: " + health.URL + "\n")
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	w := newWorld(t, unversioned)
	res, err := w.run(t, Config{Steps: []int{10, 50}, StepWait: 30 * time.Minute, Gate: Gate{Analysis: specs, Clock: analysistest.NewClock()}})
	var ge *GateError
	if !errors.As(err, &ge) || ge.Result.Phase != analysis.Failed || ge.FailureClass().String() != "failed" {
		t.Fatalf("err = %v, want the analysis to fail", err)
	}
	if len(res.Steps) != 1 {
		t.Fatalf("%d steps ran, want the first only", len(res.Steps))
	}
	var got []string
	for _, s := range res.Steps[0].Gate.Samples {
		got = append(got, s.At.String()+" "+string(s.Phase))
	}
	if want := "5m0s successful, 10m0s successful, 15m0s failed"; strings.Join(got, ", ") != want {
		t.Errorf("samples %s, want %s", strings.Join(got, ", "), want)
	}
	if !res.RolledBack || res.Left != LeftPrevious || w.segment(rolloutSegment) != nil {
		t.Errorf("left %v, rolled back %v: want the state before the run", res.Left, res.RolledBack)
	}
}

// An analysis ended by its provider's errors (Prometheus down) is infrastructure, exit 3; failed
// and inconclusive ones are the checked thing failing, exit 1.
func TestGateError_ClassByPhase(t *testing.T) {
	t.Parallel()
	for phase, want := range map[analysis.Phase]string{analysis.Error: "infrastructure", analysis.Failed: "failed", analysis.Inconclusive: "failed"} {
		if got := (&GateError{Result: GateResult{Phase: phase}}).FailureClass().String(); got != want {
			t.Errorf("%s: %s, want %s", phase, got, want)
		}
	}
}
