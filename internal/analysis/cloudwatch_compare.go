package analysis

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

// CloudWatchCompare is a comparison fed by two CloudWatch metrics published with a dimension that
// carries the Flagsmith identifier (e.g. Errors and Requests in namespace App, dimension User): each
// identity's statistic over the window, from ListMetrics then GetMetricData.
type CloudWatchCompare struct {
	API                    CloudWatchAPI
	Namespace, Dimension   string
	Numerator, Denominator string // metric names
	Stat                   string // Sum unless given
	Window                 time.Duration
	Margin                 Margin
	MinSample              float64
	Now                    func() time.Time // nil: time.Now
}

// getMetricDataMax is GetMetricData's limit of queries per call
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html).
const getMetricDataMax = 500

type identityMetric struct {
	id        string
	metric    types.Metric
	numerator bool
}

// Measure lists each identity's two metrics and sums their statistic over the window.
func (c CloudWatchCompare) Measure(ctx context.Context, t Target) Measurement {
	var metrics []identityMetric
	for _, side := range []struct {
		name string
		num  bool
	}{{c.Numerator, true}, {c.Denominator, false}} {
		ms, err := c.list(ctx, side.name)
		if err != nil {
			return Measurement{Phase: Error, Value: "—", Detail: err.Error()}
		}
		for _, m := range ms {
			for _, d := range m.Dimensions {
				if aws.ToString(d.Name) == c.Dimension {
					metrics = append(metrics, identityMetric{id: aws.ToString(d.Value), metric: m, numerator: side.num})
				}
			}
		}
	}
	traffic, err := c.sums(ctx, metrics)
	if err != nil {
		return Measurement{Phase: Error, Value: "—", Detail: err.Error()}
	}
	return Compare(t, traffic, c.Margin, c.MinSample).Measurement()
}

// list is every metric of that name with the identity dimension (ListMetrics pages by NextToken).
func (c CloudWatchCompare) list(ctx context.Context, name string) ([]types.Metric, error) {
	in := &cloudwatch.ListMetricsInput{Namespace: aws.String(c.Namespace), MetricName: aws.String(name),
		Dimensions: []types.DimensionFilter{{Name: aws.String(c.Dimension)}}}
	var out []types.Metric
	for {
		page, err := c.API.ListMetrics(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("CloudWatch ListMetrics %s/%s: %w", c.Namespace, name, err)
		}
		out = append(out, page.Metrics...)
		if page.NextToken == nil {
			return out, nil
		}
		in.NextToken = page.NextToken
	}
}

// sums asks GetMetricData for each metric's statistic over the window, 500 queries a call, one
// period as long as the window.
func (c CloudWatchCompare) sums(ctx context.Context, metrics []identityMetric) (map[string]Traffic, error) {
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	end := now().Truncate(time.Second)
	stat := c.Stat
	if stat == "" {
		stat = "Sum"
	}
	period := int32((c.Window + time.Minute - 1) / time.Minute * 60)
	traffic := map[string]Traffic{}
	for start := 0; start < len(metrics); start += getMetricDataMax {
		batch := metrics[start:min(start+getMetricDataMax, len(metrics))]
		in := &cloudwatch.GetMetricDataInput{StartTime: aws.Time(end.Add(-c.Window)), EndTime: aws.Time(end)}
		for i, m := range batch {
			in.MetricDataQueries = append(in.MetricDataQueries, types.MetricDataQuery{Id: aws.String("q" + strconv.Itoa(i)),
				MetricStat: &types.MetricStat{Metric: &m.metric, Stat: aws.String(stat), Period: aws.Int32(period)}})
		}
		for {
			out, err := c.API.GetMetricData(ctx, in)
			if err != nil {
				return nil, fmt.Errorf("CloudWatch GetMetricData: %w", err)
			}
			for _, r := range out.MetricDataResults {
				i, err := strconv.Atoi(aws.ToString(r.Id)[1:])
				if err != nil || i >= len(batch) {
					continue
				}
				tr := traffic[batch[i].id]
				for _, v := range r.Values {
					if batch[i].numerator {
						tr.Numerator += v
					} else {
						tr.Denominator += v
					}
				}
				traffic[batch[i].id] = tr
			}
			if out.NextToken == nil {
				break
			}
			in.NextToken = out.NextToken
		}
	}
	return traffic, nil
}
