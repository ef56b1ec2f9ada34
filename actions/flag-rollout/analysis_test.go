package flagrollout

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/slipway-actions/slipway/internal/awstest"
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

// A CloudWatch alarm in ALARM fails the step's bake through the action's own AWS clients (moto,
// reached through AWS_ENDPOINT_URL as the job's environment gives it): exit 1, the flag restored.
func TestFlagRollout_ACloudWatchAlarmInALARMFailsTheStep(t *testing.T) {
	t.Parallel()
	moto := awstest.Moto(t)
	cw := cloudwatch.NewFromConfig(awstest.Config(), func(o *cloudwatch.Options) { o.BaseEndpoint = aws.String(moto) })
	if _, err := cw.PutMetricAlarm(t.Context(), &cloudwatch.PutMetricAlarmInput{
		AlarmName: aws.String("api-5xx"), Namespace: aws.String("App"), MetricName: aws.String("Errors"),
		Statistic: types.StatisticSum, Period: aws.Int32(60), EvaluationPeriods: aws.Int32(1),
		Threshold: aws.Float64(10), ComparisonOperator: types.ComparisonOperatorGreaterThanThreshold,
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := cw.SetAlarmState(t.Context(), &cloudwatch.SetAlarmStateInput{AlarmName: aws.String("api-5xx"),
		StateValue: types.StateValueAlarm, StateReason: aws.String("5xx over 10")}); err != nil {
		t.Fatal(err)
	}
	f, r := fakeFlagsmith(t)
	r.Env["AWS_ENDPOINT_URL"], r.Env["AWS_REGION"] = moto, awstest.Region
	r.Env["AWS_ACCESS_KEY_ID"], r.Env["AWS_SECRET_ACCESS_KEY"] = "AKIDTEST", "testsecret"
	r.Input("percentage", "20").Input("analysis", "- name: api-5xx\n  cloudwatch: {alarm: api-5xx}\n")
	res := r.Run(t, context.Background(), Main)
	if res.Code != 1 {
		t.Fatalf("exit %d, want 1; log:\n%s", res.Code, res.Stdout)
	}
	if len(f.Segments(101)) != 0 {
		t.Errorf("the rollout segment was left behind")
	}
	if !strings.Contains(res.Summary, "| +0s | api-5xx | ALARM | not ALARM | ❌ fail |") {
		t.Errorf("summary:\n%s", res.Summary)
	}
}

// Without AWS credentials a CloudWatch analysis is exit 2 before Flagsmith is asked anything.
func TestFlagRollout_CloudWatchWithoutCredentialsIsExit2BeforeAnyWrite(t *testing.T) {
	t.Parallel()
	f, r := fakeFlagsmith(t)
	r.Env["AWS_REGION"], r.Env["AWS_EC2_METADATA_DISABLED"] = "eu-west-2", "true"
	r.Env["AWS_CONFIG_FILE"], r.Env["AWS_SHARED_CREDENTIALS_FILE"] = "/nonexistent", "/nonexistent"
	r.Input("percentage", "20").Input("analysis", "- name: api-5xx\n  cloudwatch: {alarm: api-5xx}\n")
	res := r.Run(t, context.Background(), Main)
	if res.Code != 2 || !strings.Contains(res.Stdout, "no AWS credentials") {
		t.Fatalf("exit %d, want 2 naming the credentials; log:\n%s", res.Code, res.Stdout)
	}
	if n := len(f.Requests()); n != 0 {
		t.Errorf("Flagsmith was asked %d times", n)
	}
}
