package analysis

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

// CloudWatchAPI is what the CloudWatch providers call.
type CloudWatchAPI interface {
	DescribeAlarms(context.Context, *cloudwatch.DescribeAlarmsInput, ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error)
	GetMetricData(context.Context, *cloudwatch.GetMetricDataInput, ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error)
	ListMetrics(context.Context, *cloudwatch.ListMetricsInput, ...func(*cloudwatch.Options)) (*cloudwatch.ListMetricsOutput, error)
}

// CloudWatchAlarm is an alarm's state: ALARM fails, OK passes, INSUFFICIENT_DATA is inconclusive
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarms.html).
type CloudWatchAlarm struct {
	API  CloudWatchAPI
	Name string
}

// Measure reads the alarm's state (a metric alarm's or a composite alarm's).
func (a CloudWatchAlarm) Measure(ctx context.Context, _ Target) Measurement {
	th := "not ALARM"
	out, err := a.API.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{
		AlarmNames: []string{a.Name},
		AlarmTypes: []types.AlarmType{types.AlarmTypeMetricAlarm, types.AlarmTypeCompositeAlarm},
	})
	if err != nil {
		return Measurement{Phase: Error, Value: "—", Threshold: th, Detail: fmt.Sprintf("CloudWatch DescribeAlarms %q: %v", a.Name, err)}
	}
	var state types.StateValue
	var reason string
	switch {
	case len(out.MetricAlarms) > 0:
		state, reason = out.MetricAlarms[0].StateValue, aws.ToString(out.MetricAlarms[0].StateReason)
	case len(out.CompositeAlarms) > 0:
		state, reason = out.CompositeAlarms[0].StateValue, aws.ToString(out.CompositeAlarms[0].StateReason)
	default:
		return Measurement{Phase: Error, Value: "—", Threshold: th, Detail: fmt.Sprintf("CloudWatch has no alarm named %q in this region", a.Name)}
	}
	ph := Inconclusive
	switch state {
	case types.StateValueAlarm:
		ph = Failed
	case types.StateValueOk:
		ph = Successful
	}
	return Measurement{Phase: ph, Value: string(state), Threshold: th, Detail: fmt.Sprintf("alarm %s is %s: %s", a.Name, state, reason)}
}

// CloudWatchQuery is one query of GetMetricData: a metric's statistic, or a metric-math expression
// over the other queries' ids.
type CloudWatchQuery struct {
	ID         string
	Expression string
	Namespace  string
	Metric     string
	Dimensions map[string]string
	Stat       string
}

// CloudWatchMetric is GetMetricData over a window ending now: the newest value of the first query
// (the others feed its expression) decided by the conditions. No datapoint is inconclusive.
type CloudWatchMetric struct {
	API     CloudWatchAPI
	Queries []CloudWatchQuery
	Period  time.Duration
	Window  time.Duration
	Success *Condition
	Failure *Condition
	Now     func() time.Time // nil: time.Now; the window is AWS's time, not the sampler's
}

// Measure asks GetMetricData for the window ending now
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html).
func (c CloudWatchMetric) Measure(ctx context.Context, _ Target) Measurement {
	th := thresholds(c.Success, c.Failure)
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	end := now().Truncate(time.Second)
	in := &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(end.Add(-c.Window)),
		EndTime:   aws.Time(end),
		ScanBy:    types.ScanByTimestampDescending,
	}
	for i, q := range c.Queries {
		mq := types.MetricDataQuery{Id: aws.String(q.ID), ReturnData: aws.Bool(i == 0)}
		if q.Expression != "" {
			mq.Expression, mq.Period = aws.String(q.Expression), aws.Int32(int32(c.Period/time.Second))
		} else {
			m := &types.Metric{Namespace: aws.String(q.Namespace), MetricName: aws.String(q.Metric)}
			for _, k := range sortedKeys(q.Dimensions) {
				m.Dimensions = append(m.Dimensions, types.Dimension{Name: aws.String(k), Value: aws.String(q.Dimensions[k])})
			}
			mq.MetricStat = &types.MetricStat{Metric: m, Stat: aws.String(q.Stat), Period: aws.Int32(int32(c.Period / time.Second))}
		}
		in.MetricDataQueries = append(in.MetricDataQueries, mq)
	}
	out, err := c.API.GetMetricData(ctx, in)
	if err != nil {
		return Measurement{Phase: Error, Value: "—", Threshold: th, Detail: "CloudWatch GetMetricData: " + err.Error()}
	}
	for _, r := range out.MetricDataResults {
		if aws.ToString(r.Id) != c.Queries[0].ID {
			continue
		}
		if len(r.Values) == 0 || math.IsNaN(r.Values[0]) {
			return Measurement{Phase: Inconclusive, Value: "no data", Threshold: th,
				Detail: fmt.Sprintf("%s has no datapoint in the last %s", c.Queries[0].ID, c.Window)}
		}
		v := r.Values[0] // newest first (ScanBy TimestampDescending)
		return Measurement{Phase: judge(v, c.Success, c.Failure), Value: formatValue(v), Threshold: th,
			Detail: fmt.Sprintf("%s = %s, %s", c.Queries[0].ID, formatValue(v), th)}
	}
	return Measurement{Phase: Inconclusive, Value: "no data", Threshold: th, Detail: "CloudWatch returned no result for " + c.Queries[0].ID}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
