package flagsmith

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Client talks to one Flagsmith Admin API with an Organisation API key.
type Client struct {
	base      *url.URL // …/api/v1/
	dashboard string   // the dashboard's site, for change requests' links; "" derives it from base
	key       string
	http      *http.Client
	attempts  int
	backoff   time.Duration
	maxWait   time.Duration
	reads     atomic.Int64
	writes    atomic.Int64

	mu     sync.Mutex
	api    featureAPI             // how feature states are read and written; nil until the first call decides
	stable map[stateKey]stableIDs // ids of the stable endpoints' objects, from the last read or write
}

// Option changes how a Client behaves; tests use them to go fast.
type Option func(*Client)

// WithHTTPClient sets the HTTP client (timeouts, transport).
func WithHTTPClient(h *http.Client) Option { return func(c *Client) { c.http = h } }

// WithDashboardURL sets the Flagsmith dashboard's address (e.g. https://flagsmith.example.com),
// which change requests' links point to, where it is not the API's own host.
func WithDashboardURL(site string) Option { return func(c *Client) { c.dashboard = site } }

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
		attempts: 5, backoff: 500 * time.Millisecond, maxWait: 2 * time.Minute, stable: map[stateKey]stableIDs{}}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// Requests returns how many reads (GET) and writes (anything else) the client has sent, retries
// included; the benchmark and the tests count them.
func (c *Client) Requests() (reads, writes int64) { return c.reads.Load(), c.writes.Load() }
