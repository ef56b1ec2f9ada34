package github

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	gh "github.com/google/go-github/v62/github"

	"github.com/slipway-actions/slipway/internal/github/githubtest"
)

// GitHub's secondary limits answer 403 or 429 with Retry-After, or with x-ratelimit-remaining: 0
// and x-ratelimit-reset; the client waits as long as they say, on the injected clock, and sends
// the request again, body and all.
func TestRateLimits_AreWaitedOut(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_800_000_000, 0)
	for _, tc := range []struct {
		name  string
		limit githubtest.Throttle
		want  time.Duration
	}{
		{"403 Retry-After", githubtest.Throttle{Status: 403, RetryAfter: "7"}, 7 * time.Second},
		{"429 Retry-After", githubtest.Throttle{Status: 429, RetryAfter: "2"}, 2 * time.Second},
		{"403 reset", githubtest.Throttle{Status: 403, Reset: now.Unix() + 30}, 31 * time.Second},
		{"403 secondary, no header", githubtest.Throttle{Status: 403}, time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := githubtest.New(t)
			s := &sleeps{}
			c, run := fakeClient(t, f, s, func() time.Time { return now })
			f.Throttle(tc.limit)
			if _, err := StartCheckRun(context.Background(), c, run, "lint-python", "head123"); err != nil {
				t.Fatal(err)
			}
			if got := s.got(); !slices.Equal(got, []time.Duration{tc.want}) {
				t.Errorf("waited %v, want %v", got, tc.want)
			}
			if runs := f.CheckRuns(); len(runs) != 1 || runs[0].Name != "lint-python" {
				t.Errorf("check runs %+v", runs)
			}
			if reqs := f.Requests(); len(reqs) != 2 || reqs[0] != reqs[1] {
				t.Errorf("requests %q: want the limited one sent again", reqs)
			}
		})
	}
}

// A wait past the cap is not waited: the limit is the error, and it is not mistaken for the
// fallback (a 403 that is a rate limit says nothing about permissions).
func TestRateLimits_LongerThanTheCapIsAnError(t *testing.T) {
	t.Parallel()
	f := githubtest.New(t)
	s := &sleeps{}
	c, run := fakeClient(t, f, s, nil)
	f.Throttle(githubtest.Throttle{Status: 403, RetryAfter: "600"})
	_, err := StartCheckRun(context.Background(), c, run, "lint-python", "head123")
	var fb *FallbackError
	var abuse *gh.AbuseRateLimitError
	if errors.As(err, &fb) || !errors.As(err, &abuse) {
		t.Errorf("err %v (%T): want the rate limit, not the fallback", err, err)
	}
	if got := s.got(); len(got) != 0 {
		t.Errorf("waited %v past the cap", got)
	}
}

// A 403 without any sign of a limit is a permission answer: not waited, not retried.
func TestRateLimits_APermission403IsNotWaited(t *testing.T) {
	t.Parallel()
	f := githubtest.New(t)
	f.ChecksForbidden = true
	s := &sleeps{}
	c, run := fakeClient(t, f, s, nil)
	if _, err := StartCheckRun(context.Background(), c, run, "lint-python", "head123"); err == nil {
		t.Fatal("no error")
	}
	if got, reqs := s.got(), f.Requests(); len(got) != 0 || len(reqs) != 1 {
		t.Errorf("waited %v, sent %q", got, reqs)
	}
}
