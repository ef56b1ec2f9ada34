package analysis_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/slipway-actions/slipway/internal/analysis"
	"github.com/slipway-actions/slipway/internal/flagsmith"
)

// Through moto: 300 identities publish Errors and Requests with a User dimension (600 metrics, so
// GetMetricData is asked in two batches of at most 500). The comparison passes while everyone's
// error rate is the same and fails once the flag-on group's is higher; a metric of another
// namespace or without the dimension is not counted.
func TestCloudWatchCompare_ByDimensionThroughMoto(t *testing.T) {
	t.Parallel()
	cw := cloudWatch(t)
	now := time.Now().UTC().Truncate(time.Minute)
	target := analysis.Target{EnvironmentKey: "env-key", SegmentID: 9, Percentage: 30}
	inGroup := func(u string) bool { return flagsmith.InPercentageSplit(9, "env-key_"+u, 30) }
	publish := func(at time.Time, groupRate, restRate float64) {
		var data []types.MetricDatum
		for i := range 300 {
			u := "user-" + strconv.Itoa(i)
			rate := restRate
			if inGroup(u) {
				rate = groupRate
			}
			dim := []types.Dimension{{Name: aws.String("User"), Value: aws.String(u)}}
			data = append(data,
				types.MetricDatum{MetricName: aws.String("Requests"), Value: aws.Float64(100), Timestamp: aws.Time(at), Dimensions: dim},
				types.MetricDatum{MetricName: aws.String("Errors"), Value: aws.Float64(100 * rate), Timestamp: aws.Time(at), Dimensions: dim})
		}
		for len(data) > 0 {
			n := min(len(data), 500)
			if _, err := cw.PutMetricData(t.Context(), &cloudwatch.PutMetricDataInput{Namespace: aws.String("App"), MetricData: data[:n]}); err != nil {
				t.Fatal(err)
			}
			data = data[n:]
		}
	}
	// Noise: no User dimension, and another namespace.
	if _, err := cw.PutMetricData(t.Context(), &cloudwatch.PutMetricDataInput{Namespace: aws.String("App"), MetricData: []types.MetricDatum{
		{MetricName: aws.String("Errors"), Value: aws.Float64(1e6), Timestamp: aws.Time(now.Add(-time.Minute))}}}); err != nil {
		t.Fatal(err)
	}
	margin, _ := analysis.ParseMargin("0.02")
	compare := func(end time.Time) analysis.Measurement {
		return analysis.CloudWatchCompare{API: cw, Namespace: "App", Dimension: "User", Numerator: "Errors", Denominator: "Requests",
			Window: 5 * time.Minute, Margin: margin, MinSample: 1000, Now: func() time.Time { return end }}.Measure(t.Context(), target)
	}
	publish(now.Add(-8*time.Minute), 0.05, 0.05) // both degraded equally
	if m := compare(now.Add(-5 * time.Minute)); m.Phase != analysis.Successful {
		t.Errorf("both degraded: %+v", m)
	}
	publish(now.Add(-2*time.Minute), 0.2, 0.05) // only the group
	m := compare(now)
	if m.Phase != analysis.Failed || !strings.Contains(m.Value, "ids), rest") {
		t.Errorf("only the group degraded: %+v", m)
	}
	// every identity counted, in both batches: 300 identities, 100 requests each in the window
	groupIDs := 0
	for i := range 300 {
		if inGroup("user-" + strconv.Itoa(i)) {
			groupIDs++
		}
	}
	if want := fmt.Sprintf("(n=%d, %d ids), rest 0.05 (n=%d, %d ids)", groupIDs*100, groupIDs, (300-groupIDs)*100, 300-groupIDs); !strings.Contains(m.Value, want) {
		t.Errorf("value %q, want it to hold %q", m.Value, want)
	}
	if m := (analysis.CloudWatchCompare{API: cw, Namespace: "App", Dimension: "User", Numerator: "Errors", Denominator: "Requests",
		Window: 5 * time.Minute, Margin: margin, MinSample: 1e6, Now: func() time.Time { return now }}).Measure(t.Context(), target); m.Phase != analysis.Inconclusive {
		t.Errorf("under the minimum sample: %+v", m)
	}
}
