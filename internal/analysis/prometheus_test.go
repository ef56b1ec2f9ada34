package analysis_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slipway-actions/slipway/internal/analysis"
	"github.com/slipway-actions/slipway/internal/analysis/analysistest"
	"github.com/slipway-actions/slipway/internal/flagsmith"
)

// answering is a Prometheus that answers every query with body, in the shapes of its HTTP API
// (https://prometheus.io/docs/prometheus/latest/querying/api/#instant-queries).
func answering(t *testing.T, status int, body string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestPrometheus_ReadsEachAnswer(t *testing.T) {
	t.Parallel()
	below, _ := analysis.ParseCondition("result < 0.05")
	for _, tc := range []struct {
		name, body string
		status     int
		want       analysis.Phase
		detail     string
	}{
		{"a vector under the threshold", `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1.5,"0.01"]}]}}`, 200, analysis.Successful, "0.01"},
		{"a vector over it", `{"status":"success","data":{"resultType":"vector","result":[{"metric":{"job":"api"},"value":[1.5,"0.2"]}]}}`, 200, analysis.Failed, "0.2"},
		{"a scalar", `{"status":"success","data":{"resultType":"scalar","result":[1.5,"0.04"]}}`, 200, analysis.Successful, "0.04"},
		{"no series", `{"status":"success","data":{"resultType":"vector","result":[]}}`, 200, analysis.Inconclusive, "no series"},
		{"NaN", `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1.5,"NaN"]}]}}`, 200, analysis.Inconclusive, "NaN"},
		{"two series", `{"status":"success","data":{"resultType":"vector","result":[{"metric":{"a":"1"},"value":[1,"1"]},{"metric":{"a":"2"},"value":[1,"2"]}]}}`, 200, analysis.Error, "2 series"},
		{"a refused query", `{"status":"error","errorType":"bad_data","error":"parse error at char 5"}`, 400, analysis.Error, "parse error at char 5"},
		{"a matrix", `{"status":"success","data":{"resultType":"matrix","result":[]}}`, 200, analysis.Error, "matrix"},
		{"not the API", `<html>proxy error</html>`, 502, analysis.Error, "answered 502"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m := analysis.Prometheus{Address: answering(t, tc.status, tc.body), Query: "q", Success: below}.Measure(t.Context(), analysis.Target{})
			if m.Phase != tc.want || !strings.Contains(m.Detail, tc.detail) {
				t.Errorf("%+v, want %s naming %q", m, tc.want, tc.detail)
			}
		})
	}
}

// A password in the address never reaches a sample's detail: Prometheus down or answering badly.
func TestPrometheus_ErrorsDoNotShowThePasswordOfTheAddress(t *testing.T) {
	t.Parallel()
	below, _ := analysis.ParseCondition("result < 1")
	bad := strings.Replace(answering(t, 502, "<html/>"), "http://", "http://reader:s3cret-pw@", 1)
	down := "http://reader:s3cret-pw@127.0.0.1:1"
	for _, addr := range []string{bad, down} {
		m := analysis.Prometheus{Address: addr, Query: "up", Success: below}.Measure(t.Context(), analysis.Target{})
		if m.Phase != analysis.Error || strings.Contains(m.Detail, "s3cret-pw") || !strings.Contains(m.Detail, "reader:xxxxx@") {
			t.Errorf("%+v", m)
		}
	}
}

// measureUntil measures until the phase is want and the value has want's text, or 60 s pass:
// Prometheus needs a few scrapes before an increase over them settles.
func measureUntil(t *testing.T, p analysis.Provider, target analysis.Target, want analysis.Phase, value string) analysis.Measurement {
	t.Helper()
	var m analysis.Measurement
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); {
		if m = p.Measure(t.Context(), target); m.Phase == want && strings.Contains(m.Value, value) {
			return m
		}
		select {
		case <-t.Context().Done():
			return m
		case <-time.After(250 * time.Millisecond): // polling a condition, not a synchronisation
		}
	}
	t.Fatalf("no %s within 60s; last: %+v", want, m)
	return m
}

// Real Prometheus, scraping 1,000 users' counters labelled by identifier: with everyone degraded
// equally the group is within the margin; once only the flag-on group degrades, it fails.
func TestPrometheusCompare_AgainstRealPrometheus(t *testing.T) {
	t.Parallel()
	var users []string
	for i := range 1000 {
		users = append(users, "user-"+strconv.Itoa(i))
	}
	exp := analysistest.NewExporter(t, users)
	prom := analysistest.Prometheus(t, exp.Host)
	target := analysis.Target{EnvironmentKey: "env-key", SegmentID: 77, Percentage: 20}
	inGroup := func(u string) bool { return flagsmith.InPercentageSplit(77, "env-key_"+u, 20) }
	margin, _ := analysis.ParseMargin("0.02")
	p := analysis.PrometheusCompare{Address: prom, Label: "user", Margin: margin, MinSample: 1000,
		Numerator:   `sum by (user) (increase(app_errors_total[3s]))`,
		Denominator: `sum by (user) (increase(app_requests_total[3s]))`}
	exp.SetErrorRate(func(string) float64 { return 0.1 })
	m := measureUntil(t, p, target, analysis.Successful, "group 0.1 ")
	if !strings.Contains(m.Value, "rest 0.1 ") {
		t.Errorf("both degraded: %+v", m)
	}
	exp.SetErrorRate(func(u string) float64 {
		if inGroup(u) {
			return 0.3
		}
		return 0.1
	})
	m = measureUntil(t, p, target, analysis.Failed, "group 0.3 ")
	if !strings.Contains(m.Detail, "worse than the rest's") {
		t.Errorf("only the group degraded: %+v", m)
	}
	huge := p
	huge.MinSample = 1e9
	if m := huge.Measure(context.Background(), target); m.Phase != analysis.Inconclusive {
		t.Errorf("under the minimum sample: %+v", m)
	}
}
