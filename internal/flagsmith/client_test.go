package flagsmith_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slipway-actions/slipway/internal/flagsmith"
	"github.com/slipway-actions/slipway/internal/flagsmith/flagsmithtest"
)

func fast(url, key string, t *testing.T) *flagsmith.Client {
	c, err := flagsmith.New(url, key, flagsmith.WithRetry(3, time.Millisecond, time.Second))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestFeature_FollowsPagesAndPicksTheExactName(t *testing.T) {
	t.Parallel()
	f := flagsmithtest.New(t)
	p := f.AddProject("web")
	for _, n := range []string{"checkout-a", "checkout-b", "checkout", "checkout-c", "checkout-d"} {
		f.AddFeature(p, n, false)
	}
	c := fast(f.URL, f.Key, t)
	got, err := c.Feature(context.Background(), p, "checkout")
	if err != nil || got.Name != "checkout" {
		t.Fatalf("Feature = %+v, %v", got, err)
	}
	pages := 0
	for _, r := range f.Requests() {
		if strings.HasSuffix(r.Path, "/features/") {
			pages++
		}
	}
	if pages != 3 { // five results, two per page
		t.Errorf("read %d pages, want 3", pages)
	}
}

func TestSegment_SubstringMatchesAreNotTheSegment(t *testing.T) {
	t.Parallel()
	f := flagsmithtest.New(t)
	p := f.AddProject("web")
	f.AddSegment(flagsmith.Segment{Name: "slipway-rollout-checkout-v2", Project: p})
	c := fast(f.URL, f.Key, t)
	s, err := c.Segment(context.Background(), p, "slipway-rollout-checkout")
	if err != nil || s != nil {
		t.Fatalf("Segment = %+v, %v; want none", s, err)
	}
}

// A next link on another host (a misconfigured proxy, or a hostile answer) is followed on the
// API's own host, so the key is never sent elsewhere.
func TestList_NextLinkStaysOnTheAPIHost(t *testing.T) {
	t.Parallel()
	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { elsewhere.Add(1) }))
	defer other.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("page") == "2" {
			_, _ = w.Write([]byte(`{"count":2,"next":null,"previous":null,"results":[{"id":2,"name":"b"}]}`))
			return
		}
		_, _ = w.Write([]byte(`{"count":2,"next":"` + other.URL + r.URL.Path + `?page=2","previous":null,"results":[{"id":1,"name":"a"}]}`))
	}))
	defer srv.Close()
	got, err := fast(srv.URL+"/api/v1/", "k", t).Feature(context.Background(), 1, "b")
	if err != nil || got.ID != 2 {
		t.Fatalf("Feature = %+v, %v", got, err)
	}
	if elsewhere.Load() != 0 {
		t.Errorf("a request went to the other host")
	}
}

func TestDo_RetriesServerErrorsButNotAPost(t *testing.T) {
	t.Parallel()
	f := flagsmithtest.New(t)
	p := f.AddProject("web")
	f.Fail(http.MethodGet, "/api/v1/projects/", http.StatusBadGateway, 2)
	c := fast(f.URL, f.Key, t)
	if _, err := c.Project(context.Background(), "web"); err != nil {
		t.Fatalf("GET after two 502s: %v", err)
	}
	f.Fail(http.MethodPost, "/api/v1/projects/", http.StatusBadGateway, 1)
	_, err := c.CreateSegment(context.Background(), flagsmith.Segment{Name: "s", Project: p, Rules: []flagsmith.Rule{{Type: "ALL"}}})
	var ae *flagsmith.APIError
	if !errors.As(err, &ae) || ae.Status != http.StatusBadGateway {
		t.Fatalf("POST after a 502: %v, want the 502 (a retry could create it twice)", err)
	}
	if n := len(f.Segments(p)); n != 0 {
		t.Errorf("%d segments created", n)
	}
}

func TestDo_ValidationErrorsReadLikeDRF(t *testing.T) {
	t.Parallel()
	f := flagsmithtest.New(t)
	p := f.AddProject("web")
	_, err := fast(f.URL, f.Key, t).CreateSegment(context.Background(), flagsmith.Segment{Project: p})
	if err == nil || !strings.Contains(err.Error(), "400 Bad Request: name: This field may not be blank.; rules: Segment cannot be created without any rules.") {
		t.Fatalf("err = %v", err)
	}
}

func TestDo_RetryAfterLongerThanTheLimitIsAnError(t *testing.T) {
	t.Parallel()
	f := flagsmithtest.New(t)
	f.Throttle(1, "3600")
	_, err := fast(f.URL, f.Key, t).Project(context.Background(), "web")
	if err == nil || !strings.Contains(err.Error(), "Retry-After 1h0m0s is longer than 1s") {
		t.Fatalf("err = %v", err)
	}
}

func TestDeleteOverride_AlreadyGoneIsSuccess(t *testing.T) {
	t.Parallel()
	f := flagsmithtest.New(t)
	p := f.AddProject("web")
	f.AddEnvironment(p, "prod", "envkey", false)
	id := f.AddFeature(p, "x", false)
	if err := fast(f.URL, f.Key, t).DeleteOverride(context.Background(), "envkey", id, 12345); err != nil {
		t.Fatal(err)
	}
}

func TestRequests_CountsReadsAndWrites(t *testing.T) {
	t.Parallel()
	f := flagsmithtest.New(t)
	p := f.AddProject("web")
	c := fast(f.URL, f.Key, t)
	_, _ = c.Project(context.Background(), "web")
	_ = c.DeleteSegment(context.Background(), p, 1)
	if r, w := c.Requests(); r != 1 || w != 1 {
		t.Errorf("reads, writes = %d, %d; want 1, 1", r, w)
	}
}

func TestDo_ServerErrorsAfterTheLastAttemptAreTheError(t *testing.T) {
	t.Parallel()
	f := flagsmithtest.New(t)
	f.Fail(http.MethodGet, "/api/v1/projects/", http.StatusServiceUnavailable, -1)
	_, err := fast(f.URL, f.Key, t).Project(context.Background(), "web")
	var ae *flagsmith.APIError
	if !errors.As(err, &ae) || ae.Status != http.StatusServiceUnavailable || len(f.Requests()) != 3 {
		t.Fatalf("err = %v after %d requests, want the 503 after 3", err, len(f.Requests()))
	}
}

func TestDo_WaitsOutRetryAfter(t *testing.T) {
	t.Parallel()
	f := flagsmithtest.New(t)
	f.AddProject("web")
	f.Throttle(1, "1")
	start := time.Now()
	if _, err := fast(f.URL, f.Key, t).Project(context.Background(), "web"); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < time.Second {
		t.Errorf("took %s, want the second Retry-After asks for", took)
	}
}

func TestDo_StillThrottledAfterTheLastAttempt(t *testing.T) {
	t.Parallel()
	f := flagsmithtest.New(t)
	f.Throttle(5, "0")
	_, err := fast(f.URL, f.Key, t).Project(context.Background(), "web")
	var ae *flagsmith.APIError
	if !errors.As(err, &ae) || ae.Status != http.StatusTooManyRequests || !strings.Contains(err.Error(), "still rate limited after 3 attempts") {
		t.Fatalf("err = %v", err)
	}
}

func TestDo_CancelledWhileWaiting(t *testing.T) {
	t.Parallel()
	f := flagsmithtest.New(t)
	f.Throttle(1, "30")
	c, err := flagsmith.New(f.URL, f.Key, flagsmith.WithRetry(3, time.Millisecond, time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := c.Project(ctx, "web"); !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Fatalf("err = %v after %s, want the deadline at once", err, time.Since(start))
	}
}
