package flagsmith

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Client talks to one Flagsmith Admin API with an Organisation API key.
type Client struct {
	base     *url.URL // …/api/v1/
	key      string
	http     *http.Client
	attempts int
	backoff  time.Duration
	maxWait  time.Duration
	reads    atomic.Int64
	writes   atomic.Int64
}

// Option changes how a Client behaves; tests use them to go fast.
type Option func(*Client)

// WithHTTPClient sets the HTTP client (timeouts, transport).
func WithHTTPClient(h *http.Client) Option { return func(c *Client) { c.http = h } }

// WithRetry sets how many attempts a request gets and the first backoff after a 5xx; the backoff
// doubles with jitter. A Retry-After longer than maxWait is an error rather than a long sleep.
func WithRetry(attempts int, backoff, maxWait time.Duration) Option {
	return func(c *Client) { c.attempts, c.backoff, c.maxWait = attempts, backoff, maxWait }
}

// New returns a client for the Admin API at baseURL (e.g. https://api.flagsmith.com/api/v1/).
func New(baseURL, apiKey string, opts ...Option) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("api-url %q is not an http(s) URL", baseURL)
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	c := &Client{base: u, key: apiKey, http: &http.Client{Timeout: 30 * time.Second},
		attempts: 5, backoff: 500 * time.Millisecond, maxWait: 2 * time.Minute}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// Requests returns how many reads (GET) and writes (anything else) the client has sent, retries
// included; the benchmark and the tests count them.
func (c *Client) Requests() (reads, writes int64) { return c.reads.Load(), c.writes.Load() }

// APIError is a response Flagsmith gave that was not a success.
type APIError struct {
	Method, Path string
	Status       int
	Detail       string // DRF's detail or field errors, flattened
}

func (e *APIError) Error() string {
	msg := fmt.Sprintf("flagsmith %s %s: %d %s", e.Method, e.Path, e.Status, http.StatusText(e.Status))
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	switch e.Status {
	case http.StatusUnauthorized:
		msg += ` — check that "api-key" is a valid Organisation API key`
	case http.StatusForbidden:
		msg += ` — the "api-key" is valid but may not do this; an Organisation API key of the project's organisation can`
	}
	return msg
}

// IsNotFound reports whether err is a 404 from Flagsmith.
func IsNotFound(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Status == http.StatusNotFound
}

// do sends one request with retries and decodes a JSON answer into out (when out is not nil).
// Only 429 is retried for POST: a 5xx after a POST may have created the object already.
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
	wait := c.backoff
	for attempt := 1; ; attempt++ {
		status, data, retryAfter, err := c.send(ctx, method, u, payload)
		last := attempt >= c.attempts
		switch {
		case err != nil:
			if ctx.Err() != nil || last || method == http.MethodPost {
				return fmt.Errorf("flagsmith %s %s: %w", method, u.Path, err)
			}
		case status == http.StatusTooManyRequests:
			if last {
				return &APIError{Method: method, Path: u.Path, Status: status, Detail: "still rate limited after " + strconv.Itoa(attempt) + " attempts"}
			}
			if retryAfter > c.maxWait {
				return &APIError{Method: method, Path: u.Path, Status: status, Detail: fmt.Sprintf("Retry-After %s is longer than %s", retryAfter, c.maxWait)}
			}
			if retryAfter >= 0 {
				if err := sleep(ctx, retryAfter); err != nil {
					return err
				}
				continue
			}
		case status >= 500 && method != http.MethodPost && !last:
		case status >= 200 && status < 300:
			if out == nil || status == http.StatusNoContent {
				return nil
			}
			if err := json.Unmarshal(data, out); err != nil {
				return fmt.Errorf("flagsmith %s %s: unexpected answer: %w", method, u.Path, err)
			}
			return nil
		default:
			return &APIError{Method: method, Path: u.Path, Status: status, Detail: drfDetail(data)}
		}
		if err := sleep(ctx, wait/2+rand.N(wait)); err != nil {
			return err
		}
		wait *= 2
	}
}

// send makes one HTTP exchange. retryAfter is -1 when the answer had none.
func (c *Client) send(ctx context.Context, method string, u *url.URL, payload []byte) (int, []byte, time.Duration, error) {
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
	data, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
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

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// drfDetail flattens a Django REST framework error body: {"detail": "..."}, {"field": ["..."]},
// or a list of messages. Anything else is cut short and returned as text.
func drfDetail(data []byte) string {
	var detail struct {
		Detail string `json:"detail"`
	}
	if json.Unmarshal(data, &detail) == nil && detail.Detail != "" {
		return detail.Detail
	}
	var fields map[string]any
	if json.Unmarshal(data, &fields) == nil && len(fields) > 0 {
		var parts []string
		for k, v := range fields {
			parts = append(parts, k+": "+flatten(v))
		}
		sort.Strings(parts)
		return strings.Join(parts, "; ")
	}
	var list []any
	if json.Unmarshal(data, &list) == nil && len(list) > 0 {
		return flatten(list)
	}
	s := strings.TrimSpace(string(data))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

func flatten(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case []any:
		var parts []string
		for _, e := range v {
			if s := flatten(e); s != "" {
				parts = append(parts, s)
			}
		}
		return strings.Join(parts, " ")
	case map[string]any:
		var parts []string
		for k, e := range v {
			parts = append(parts, k+": "+flatten(e))
		}
		sort.Strings(parts)
		return "{" + strings.Join(parts, "; ") + "}"
	default:
		b, _ := json.Marshal(v)
		return string(b)
	}
}

// list reads every page of a list endpoint. Flagsmith answers some lists as a plain JSON array
// and others as {count, next, previous, results}; next is followed on the API's own host only,
// so the key is never sent elsewhere.
func list[T any](ctx context.Context, c *Client, ref string) ([]T, error) {
	var all []T
	for ref != "" {
		var raw json.RawMessage
		if err := c.do(ctx, http.MethodGet, ref, nil, &raw); err != nil {
			return nil, err
		}
		if t := bytes.TrimSpace(raw); len(t) > 0 && t[0] == '[' {
			var items []T
			if err := json.Unmarshal(t, &items); err != nil {
				return nil, err
			}
			return append(all, items...), nil
		}
		var page struct {
			Next    *string `json:"next"`
			Results []T     `json:"results"`
		}
		if err := json.Unmarshal(raw, &page); err != nil {
			return nil, err
		}
		all = append(all, page.Results...)
		ref = ""
		if page.Next != nil && *page.Next != "" {
			next, err := url.Parse(*page.Next)
			if err != nil {
				return nil, fmt.Errorf("flagsmith: bad next page %q: %w", *page.Next, err)
			}
			// Same path and query on our base: a proxy may rewrite the host or scheme.
			ref = (&url.URL{Path: next.Path, RawQuery: next.RawQuery}).String()
		}
	}
	return all, nil
}
