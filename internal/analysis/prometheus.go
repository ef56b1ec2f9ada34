package analysis

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Prometheus is a PromQL query whose one value the conditions decide.
type Prometheus struct {
	Address string // http://prometheus:9090
	Query   string
	Success *Condition
	Failure *Condition
	Client  *http.Client // nil: http.DefaultClient
}

// Series is one series of an instant query's answer: its labels and value.
type Series struct {
	Labels map[string]string
	Value  float64
}

// promAnswer is the HTTP API's envelope for /api/v1/query
// (https://prometheus.io/docs/prometheus/latest/querying/api/#instant-queries): a vector's result is
// [{"metric":{…},"value":[<unix time>,"<value>"]}], a scalar's [<unix time>,"<value>"].
type promAnswer struct {
	Status    string `json:"status"`
	ErrorType string `json:"errorType"`
	Error     string `json:"error"`
	Data      struct {
		ResultType string          `json:"resultType"`
		Result     json.RawMessage `json:"result"`
	} `json:"data"`
}

// defaultHTTP bounds each query: a Prometheus that accepts the connection and never answers is an
// error sample (consecutive-error-limit), not a bake held until the job's timeout.
var defaultHTTP = &http.Client{Timeout: 30 * time.Second}

// redacted is the address as logs may show it: without a password in it.
func redacted(address string) string {
	if u, err := url.Parse(address); err == nil {
		return u.Redacted()
	}
	return "the Prometheus address"
}

// query runs an instant query and returns its series; a scalar is one series without labels.
func query(ctx context.Context, client *http.Client, address, q string) ([]Series, error) {
	if client == nil {
		client = defaultHTTP
	}
	u := strings.TrimRight(address, "/") + "/api/v1/query?" + url.Values{"query": {q}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("Prometheus at %s did not answer: %w", redacted(address), err) // net/http strips the password from err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, fmt.Errorf("Prometheus at %s: %w", redacted(address), err)
	}
	var a promAnswer
	if err := json.Unmarshal(body, &a); err != nil {
		return nil, fmt.Errorf("Prometheus at %s answered %d, not its API's JSON", redacted(address), resp.StatusCode)
	}
	if a.Status != "success" {
		return nil, fmt.Errorf("Prometheus refused the query (%s): %s", a.ErrorType, a.Error)
	}
	switch a.Data.ResultType {
	case "scalar":
		var pt [2]any
		if err := json.Unmarshal(a.Data.Result, &pt); err != nil {
			return nil, fmt.Errorf("the scalar Prometheus gave: %w", err)
		}
		v, err := sampleValue(pt[1])
		if err != nil {
			return nil, err
		}
		return []Series{{Value: v}}, nil
	case "vector":
		var vec []struct {
			Metric map[string]string `json:"metric"`
			Value  [2]any            `json:"value"`
		}
		if err := json.Unmarshal(a.Data.Result, &vec); err != nil {
			return nil, fmt.Errorf("the vector Prometheus gave: %w", err)
		}
		out := make([]Series, 0, len(vec))
		for _, s := range vec {
			v, err := sampleValue(s.Value[1])
			if err != nil {
				return nil, err
			}
			out = append(out, Series{Labels: s.Metric, Value: v})
		}
		return out, nil
	}
	return nil, fmt.Errorf("the query gave a %s; give one that gives an instant vector or a scalar", a.Data.ResultType)
}

// sampleValue reads a sample's value, which the API sends as a string ("NaN" and "+Inf" included).
func sampleValue(v any) (float64, error) {
	s, ok := v.(string)
	if !ok {
		return 0, fmt.Errorf("a sample value %v is not a string", v)
	}
	return strconv.ParseFloat(s, 64)
}

// Measure runs the query: no series (no data yet) or NaN is inconclusive; more than one series is
// an error (aggregate them in the query, e.g. with sum()).
func (p Prometheus) Measure(ctx context.Context, _ Target) Measurement {
	th := thresholds(p.Success, p.Failure)
	series, err := query(ctx, p.Client, p.Address, p.Query)
	switch {
	case err != nil:
		return Measurement{Phase: Error, Value: "—", Threshold: th, Detail: err.Error()}
	case len(series) == 0:
		return Measurement{Phase: Inconclusive, Value: "no data", Threshold: th, Detail: "the query gave no series"}
	case len(series) > 1:
		return Measurement{Phase: Error, Value: "—", Threshold: th,
			Detail: fmt.Sprintf("the query gave %d series; aggregate them to one (sum, avg, max …)", len(series))}
	case math.IsNaN(series[0].Value):
		return Measurement{Phase: Inconclusive, Value: "NaN", Threshold: th, Detail: "the query gave NaN (no traffic?)"}
	}
	v := series[0].Value
	ph := judge(v, p.Success, p.Failure)
	return Measurement{Phase: ph, Value: formatValue(v), Threshold: th, Detail: fmt.Sprintf("%s, %s", formatValue(v), th)}
}
