package flagrollout

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// scriptedPrometheus answers each instant query (GET /api/v1/query) with the next of values, as a
// one-element vector in Prometheus's HTTP API shape
// (https://prometheus.io/docs/prometheus/latest/querying/api/#instant-queries); the last repeats.
func scriptedPrometheus(t *testing.T, values ...string) string {
	t.Helper()
	var mu sync.Mutex
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/query" || r.URL.Query().Get("query") == "" {
			http.Error(w, `{"status":"error","errorType":"bad_data","error":"no query"}`, http.StatusBadRequest)
			return
		}
		mu.Lock()
		v := values[min(n, len(values)-1)]
		n++
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1733486400.123,%q]}]}}`, v)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// The analysis samples through the bake; the sample that fails ends it: exit 1, the flag restored,
// and the summary shows each sample with its value, threshold and verdict.
func TestFlagRollout_AnalysisFailsAtASampleAndTheSummaryShowsEach(t *testing.T) {
	t.Parallel()
	f, r := fakeFlagsmith(t)
	prom := scriptedPrometheus(t, "0.01", "0.2")
	r.Input("percentage", "20").Input("step-wait", "1m").Input("analysis", `
- name: error-rate
  interval: 1s
  count: 2
  prometheus:
    address: `+prom+`
    query: sum(rate(errors[1m])) / sum(rate(requests[1m]))
  success: result < 0.05
`)
	res := r.Run(t, context.Background(), Main)
	if res.Code != 1 {
		t.Fatalf("exit %d, want 1; log:\n%s", res.Code, res.Stdout)
	}
	if len(f.Segments(101)) != 0 {
		t.Errorf("the rollout segment was left behind")
	}
	for _, want := range []string{
		"| Time | Metric | Value | Threshold | Verdict |",
		"| +1s | error-rate | 0.01 | success: result &lt; 0.05 | ✅ pass |",
		"| +2s | error-rate | 0.2 | success: result &lt; 0.05 | ❌ fail |",
		"| failed; restored to the state before the run (read back from Flagsmith) |",
	} {
		if !strings.Contains(res.Summary, want) {
			t.Errorf("summary lacks %q:\n%s", want, res.Summary)
		}
	}
}

// Bad analysis input is exit 2 before anything is touched, every problem listed, each naming the
// input.
func TestFlagRollout_BadAnalysisIsExit2WithEveryProblem(t *testing.T) {
	t.Parallel()
	f, r := fakeFlagsmith(t)
	r.Input("percentage", "20").Input("analysis", `
- name: error-rate
  interval: 1m
  prometheus: {address: "http://prometheus:9090", query: up}
  success: result < 0.05
- name: alarm
  cloudwatch: {alarm: api-5xx}
  success: result < 1
`)
	res := r.Run(t, context.Background(), Main)
	if res.Code != 2 {
		t.Fatalf("exit %d, want 2; log:\n%s", res.Code, res.Stdout)
	}
	for _, want := range []string{
		`input "analysis": metric error-rate samples every 1m0s through step-wait, which is 0`,
		`input "analysis": metric 2 (alarm): a cloudwatch alarm decides by itself`,
	} {
		if !strings.Contains(res.Stdout, want) {
			t.Errorf("log lacks %q:\n%s", want, res.Stdout)
		}
	}
	if n := len(f.Requests()); n != 0 {
		t.Errorf("Flagsmith was asked %d times before the input was checked", n)
	}
}
