package flagsmith

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/cenkalti/backoff/v5"
)

// do sends one request, retried as retryable says, and decodes a JSON answer into out (when out is
// not nil).
func (c *Client) do(ctx context.Context, method, ref string, body, out any) error {
	u, err := c.base.Parse(ref)
	if err != nil {
		return err
	}
	var payload []byte
	if body != nil {
		if payload, err = json.Marshal(body); err != nil {
			return err
		}
	}
	attempts := 0
	data, err := backoff.Retry(ctx, func() ([]byte, error) {
		attempts++
		return c.attempt(ctx, method, u, payload)
	}, backoff.WithBackOff(c.exponential()), backoff.WithMaxTries(uint(max(c.attempts, 1))), backoff.WithMaxElapsedTime(0))
	var throttled *throttledError
	switch {
	case errors.As(err, &throttled):
		throttled.api.Detail = "still rate limited after " + strconv.Itoa(attempts) + " attempts"
		return throttled.api
	case err != nil:
		return err
	case out == nil || len(bytes.TrimSpace(data)) == 0:
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("flagsmith %s %s: unexpected answer: %w", method, u.Path, err)
	}
	return nil
}

// exponential is the wait between attempts after a 5xx or a dropped connection: c.backoff, then
// doubling, each ±50%.
func (c *Client) exponential() *backoff.ExponentialBackOff {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval, b.Multiplier, b.RandomizationFactor, b.MaxInterval = c.backoff, 2, 0.5, 30*time.Second
	return b
}

// throttledError is a 429 to wait out: backoff.Retry waits its Retry-After; if it is the last
// attempt, do returns the APIError.
type throttledError struct {
	api  *APIError
	wait *backoff.RetryAfterError
}

func (e *throttledError) Error() string   { return e.api.Error() }
func (e *throttledError) Unwrap() []error { return []error{e.api, e.wait} }

// attempt makes one exchange and says whether a failure may be retried. Only a 429 is retried for
// a POST: a 5xx or a dropped connection after a POST may have created the object already.
func (c *Client) attempt(ctx context.Context, method string, u *url.URL, payload []byte) ([]byte, error) {
	status, data, wait, err := c.send(ctx, method, u, payload)
	retryable := method != http.MethodPost
	switch {
	case err != nil:
		err = fmt.Errorf("flagsmith %s %s: %w", method, u.Path, err)
		if !retryable || ctx.Err() != nil {
			return nil, backoff.Permanent(err)
		}
		return nil, err
	case status >= 200 && status < 300:
		return data, nil
	}
	api := &APIError{Method: method, Path: u.Path, Status: status, Detail: drfDetail(data), Code: drfCode(data)}
	switch {
	case status == http.StatusTooManyRequests && wait > c.maxWait:
		api.Detail = fmt.Sprintf("Retry-After %s is longer than %s", wait, c.maxWait)
		return nil, backoff.Permanent(api)
	case status == http.StatusTooManyRequests && wait >= 0:
		return nil, &throttledError{api: api, wait: &backoff.RetryAfterError{Duration: wait}}
	case status == http.StatusTooManyRequests, status >= 500 && retryable:
		return nil, api
	}
	return nil, backoff.Permanent(api)
}

// send makes one HTTP exchange. wait is the answer's Retry-After, -1 without one.
func (c *Client) send(ctx context.Context, method string, u *url.URL, payload []byte) (status int, data []byte, wait time.Duration, err error) {
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return 0, nil, 0, err
	}
	req.Header.Set("Authorization", "Api-Key "+c.key)
	req.Header.Set("Accept", "application/json")
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if method == http.MethodGet {
		c.reads.Add(1)
	} else {
		c.writes.Add(1)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, 0, err
	}
	defer resp.Body.Close()
	data, err = io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return 0, nil, 0, err
	}
	return resp.StatusCode, data, retryAfter(resp.Header.Get("Retry-After")), nil
}

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func retryAfter(v string) time.Duration {
	if v == "" {
		return -1
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0)
	}
	return -1
}
