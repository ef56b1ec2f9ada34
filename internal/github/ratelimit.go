package github

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/slipway-actions/slipway/internal/wait"
)

// RateLimits says how long a client may wait out GitHub's rate limits, and how it waits.
// https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#handle-rate-limit-errors-appropriately
type RateLimits struct {
	MaxWait time.Duration                              // all waits of one request together; 0 means 3 minutes
	Retries int                                        // tries after the first; 0 means 3
	Sleep   func(context.Context, time.Duration) error // nil: a timer under ctx
	Now     func() time.Time                           // nil: time.Now
}

// WaitOutRateLimits returns a client whose requests wait out GitHub's rate limits and are then
// sent again: a 403 or 429 with Retry-After waits that many seconds; with x-ratelimit-remaining: 0,
// until x-ratelimit-reset; a secondary limit that says neither, one minute, as GitHub's guide
// asks. When the wait would pass MaxWait, the limited answer is returned as it is. Each try is
// one request of hc, so hc's Timeout bounds each try, not the waits.
//
// This sits under go-github rather than in it: go-github refuses requests on its own until a
// secondary limit's Retry-After has passed by the wall clock, which a test's clock cannot move.
func WaitOutRateLimits(hc *http.Client, l RateLimits) *http.Client {
	if hc == nil {
		hc = &http.Client{}
	}
	if l.MaxWait == 0 {
		l.MaxWait = 3 * time.Minute
	}
	if l.Retries == 0 {
		l.Retries = 3
	}
	if l.Sleep == nil {
		l.Sleep = wait.For
	}
	if l.Now == nil {
		l.Now = time.Now
	}
	return &http.Client{Transport: &waiter{inner: hc, limits: l}}
}

type waiter struct {
	inner  *http.Client
	limits RateLimits
}

func (w *waiter) RoundTrip(req *http.Request) (*http.Response, error) {
	waited := time.Duration(0)
	for try := 0; ; try++ {
		attempt, err := rewind(req, try)
		if err != nil {
			return nil, err
		}
		resp, err := w.inner.Do(attempt)
		if err != nil {
			return nil, err
		}
		wait, limited := w.rateLimited(resp)
		if !limited || try >= w.limits.Retries || waited+wait > w.limits.MaxWait {
			return resp, nil
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err := w.limits.Sleep(req.Context(), wait); err != nil {
			return nil, err
		}
		waited += wait
	}
}

// rewind is the request to send on try number try: the request itself, then copies with the body
// read again (go-github's bodies are buffers, so GetBody is set).
func rewind(req *http.Request, try int) (*http.Request, error) {
	if try == 0 {
		return req, nil
	}
	r := req.Clone(req.Context())
	if req.Body != nil && req.Body != http.NoBody {
		if req.GetBody == nil {
			return nil, errors.New("github: a rate-limited request cannot be sent again: its body cannot be read twice")
		}
		body, err := req.GetBody()
		if err != nil {
			return nil, err
		}
		r.Body = body
	}
	return r, nil
}

// rateLimited says whether resp is a rate limit and how long to wait. A 403 without any of the
// signs is a permission answer, not a limit.
func (w *waiter) rateLimited(resp *http.Response) (time.Duration, bool) {
	if resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusTooManyRequests {
		return 0, false
	}
	if s := resp.Header.Get("Retry-After"); s != "" {
		if n, err := strconv.Atoi(strings.TrimSpace(s)); err == nil && n >= 0 {
			return time.Duration(n) * time.Second, true
		}
	}
	if resp.Header.Get("X-Ratelimit-Remaining") == "0" {
		if reset, err := strconv.ParseInt(resp.Header.Get("X-Ratelimit-Reset"), 10, 64); err == nil {
			return max(time.Unix(reset, 0).Sub(w.limits.Now()), 0) + time.Second, true
		}
	}
	if resp.StatusCode == http.StatusTooManyRequests || secondaryMessage(resp) {
		return time.Minute, true
	}
	return 0, false
}

// secondaryMessage reports whether a 403's body says it is a secondary rate limit, and leaves the
// body readable.
func secondaryMessage(resp *http.Response) bool {
	orig := resp.Body
	data, err := io.ReadAll(io.LimitReader(orig, 64<<10))
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(data), orig), orig}
	return err == nil && bytes.Contains(bytes.ToLower(data), []byte("secondary rate limit"))
}
