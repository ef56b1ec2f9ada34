package analysis_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/slipway-actions/slipway/internal/analysis"
	"github.com/slipway-actions/slipway/internal/analysis/analysistest"
	"github.com/slipway-actions/slipway/internal/awstest"
)

func cloudWatch(t *testing.T) *cloudwatch.Client {
	t.Helper()
	url := awstest.Moto(t)
	return cloudwatch.NewFromConfig(awstest.Config(), func(o *cloudwatch.Options) { o.BaseEndpoint = aws.String(url) })
}

func alarm(t *testing.T, cw *cloudwatch.Client, name string) {
	t.Helper()
	_, err := cw.PutMetricAlarm(t.Context(), &cloudwatch.PutMetricAlarmInput{
		AlarmName: aws.String(name), Namespace: aws.String("App"), MetricName: aws.String("Errors"),
		Statistic: types.StatisticSum, Period: aws.Int32(60), EvaluationPeriods: aws.Int32(1),
		Threshold: aws.Float64(10), ComparisonOperator: types.ComparisonOperatorGreaterThanThreshold,
	})
	if err != nil {
		t.Fatal(err)
	}
}

func setState(t *testing.T, cw *cloudwatch.Client, name string, s types.StateValue) {
	t.Helper()
	if _, err := cw.SetAlarmState(context.Background(), &cloudwatch.SetAlarmStateInput{AlarmName: aws.String(name), StateValue: s, StateReason: aws.String("set by the test")}); err != nil {
		t.Error(err)
	}
}

// An alarm's state decides each sample: OK passes, INSUFFICIENT_DATA is inconclusive, ALARM fails;
// an alarm that does not exist is an error, not a pass.
func TestCloudWatchAlarm_StatesThroughMoto(t *testing.T) {
	t.Parallel()
	cw := cloudWatch(t)
	alarm(t, cw, "api-5xx")
	p := analysis.CloudWatchAlarm{API: cw, Name: "api-5xx"}
	for _, tc := range []struct {
		state types.StateValue
		want  analysis.Phase
	}{{types.StateValueOk, analysis.Successful}, {types.StateValueInsufficientData, analysis.Inconclusive}, {types.StateValueAlarm, analysis.Failed}} {
		setState(t, cw, "api-5xx", tc.state)
		if m := p.Measure(t.Context(), analysis.Target{}); m.Phase != tc.want || m.Value != string(tc.state) {
			t.Errorf("%s: %+v, want %s", tc.state, m, tc.want)
		}
	}
	if m := (analysis.CloudWatchAlarm{API: cw, Name: "no-such-alarm"}).Measure(t.Context(), analysis.Target{}); m.Phase != analysis.Error {
		t.Errorf("a missing alarm: %+v, want an error", m)
	}
}

// setAfter sets the alarm to ALARM once the provider has measured n times: mid-bake.
type setAfter struct {
	analysis.Provider
	n    int
	then func()
}

func (s *setAfter) Measure(ctx context.Context, t analysis.Target) analysis.Measurement {
	m := s.Provider.Measure(ctx, t)
	if s.n--; s.n == 0 {
		s.then()
	}
	return m
}

// An alarm that goes to ALARM mid-bake fails the bake at the next sample.
func TestCloudWatchAlarm_GoingToAlarmMidBakeFailsAtThatSample(t *testing.T) {
	t.Parallel()
	cw := cloudWatch(t)
	alarm(t, cw, "api-5xx")
	setState(t, cw, "api-5xx", types.StateValueOk)
	specs, errs := analysis.Parse("- name: api-5xx\n  interval: 1m\n  cloudwatch: {alarm: api-5xx}\n")
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	m := specs[0].Metric(analysis.Deps{CloudWatch: func(string) analysis.CloudWatchAPI { return cw }})
	m.Provider = &setAfter{Provider: m.Provider, n: 2, then: func() { setState(t, cw, "api-5xx", types.StateValueAlarm) }}
	res := analysis.Bake{Metrics: []analysis.Metric{m}, Wait: 10 * time.Minute, Clock: analysistest.NewClock()}.Run(t.Context(), analysis.Target{})
	if res.Phase != analysis.Failed || len(res.Samples) != 3 || res.Samples[2].At != 3*time.Minute || res.Samples[2].Value != "ALARM" {
		t.Errorf("phase %s after %d samples: %s", res.Phase, len(res.Samples), res.Detail)
	}
}

// GetMetricData's newest value of the first query (an expression over the metric) is judged by the
// conditions; a window with no datapoint is inconclusive.
func TestCloudWatchMetric_ThresholdsOnPutMetricData(t *testing.T) {
	t.Parallel()
	cw := cloudWatch(t)
	now := time.Now().UTC().Truncate(time.Minute)
	put := func(service string, v float64, at time.Time) {
		_, err := cw.PutMetricData(t.Context(), &cloudwatch.PutMetricDataInput{Namespace: aws.String("App"), MetricData: []types.MetricDatum{{
			MetricName: aws.String("Latency"), Value: aws.Float64(v), Timestamp: aws.Time(at),
			Dimensions: []types.Dimension{{Name: aws.String("Service"), Value: aws.String(service)}},
		}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	put("api", 900, now.Add(-4*time.Minute)) // older: not the newest
	put("api", 120, now.Add(-2*time.Minute))
	put("web", 900, now.Add(-2*time.Minute))
	success, _ := analysis.ParseCondition("result < 300")
	metric := func(service string) analysis.CloudWatchMetric {
		return analysis.CloudWatchMetric{API: cw, Period: time.Minute, Window: 10 * time.Minute, Success: success,
			Now: func() time.Time { return now },
			Queries: []analysis.CloudWatchQuery{{ID: "e1", Expression: "m1"},
				{ID: "m1", Namespace: "App", Metric: "Latency", Stat: "Average", Dimensions: map[string]string{"Service": service}}}}
	}
	for service, want := range map[string]analysis.Phase{"api": analysis.Successful, "web": analysis.Failed, "db": analysis.Inconclusive} {
		if m := metric(service).Measure(t.Context(), analysis.Target{}); m.Phase != want {
			t.Errorf("%s: %+v, want %s", service, m, want)
		}
	}
}
