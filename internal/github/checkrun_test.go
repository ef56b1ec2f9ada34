package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	gh "github.com/google/go-github/v62/github"

	"github.com/slipway-actions/slipway/internal/github/githubtest"
)

// sleeps records the waits a client asked for instead of waiting.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(_ context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d = append(s.d, d)
	return nil
}

func (s *sleeps) got() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

// fakeClient is a client of the fake as the factory builds one: GITHUB_API_URL is the fake's
// /api/v3 (GitHub Enterprise Server's form), rate limits waited out on s's clock.
func fakeClient(t *testing.T, f *githubtest.GitHub, s *sleeps, now func() time.Time) (*gh.Client, Run) {
	t.Helper()
	run := Run{APIURL: f.URL, Repository: "acme/web", SHA: "head123"}
	c, err := NewClient(WaitOutRateLimits(&http.Client{Timeout: 10 * time.Second}, RateLimits{Sleep: s.sleep, Now: now}), f.Token, run)
	if err != nil {
		t.Fatal(err)
	}
	return c, run
}

func findings(n int) []Annotation {
	var out []Annotation
	for i := range n {
		out = append(out, Annotation{Path: "api/app.py", StartLine: i + 1, EndLine: i + 1, Level: "warning", Title: "E501", Message: fmt.Sprintf("line %d too long", i+1)})
	}
	return out
}

func TestCheckRun_SendsEveryAnnotationFiftyToAnUpdate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		annotations int
		perWrite    []int // the create, then each update
	}{
		{120, []int{0, 50, 50, 20}},
		{25, []int{0, 25}},
		{50, []int{0, 50}},
		{0, []int{0, 0}},
	} {
		t.Run(fmt.Sprint(tc.annotations), func(t *testing.T) {
			t.Parallel()
			f := githubtest.New(t)
			c, run := fakeClient(t, f, &sleeps{}, nil)
			cr, err := StartCheckRun(context.Background(), c, run, "lint-python", "head123")
			if err != nil {
				t.Fatal(err)
			}
			if err := cr.Complete(context.Background(), "failure", "flake8: findings", "| tool | findings |", findings(tc.annotations)); err != nil {
				t.Fatal(err)
			}
			runs := f.CheckRuns()
			if len(runs) != 1 {
				t.Fatalf("%d check runs, want 1", len(runs))
			}
			r := runs[0]
			if cr.ID() != r.ID || !strings.HasSuffix(cr.URL(), fmt.Sprintf("/acme/web/runs/%d", r.ID)) {
				t.Errorf("id %d, url %q; the fake has %d", cr.ID(), cr.URL(), r.ID)
			}
			if !slices.Equal(r.AnnotationsPerWrite, tc.perWrite) || len(r.Annotations) != tc.annotations {
				t.Errorf("annotations per request %v (%d in all), want %v", r.AnnotationsPerWrite, len(r.Annotations), tc.perWrite)
			}
			if r.Name != "lint-python" || r.HeadSHA != "head123" || r.Status != "completed" || r.Conclusion != "failure" || r.Title != "flake8: findings" {
				t.Errorf("check run %+v", r)
			}
			if tc.annotations > 0 && r.Annotations[tc.annotations-1]["message"] != fmt.Sprintf("line %d too long", tc.annotations) {
				t.Errorf("last annotation %v", r.Annotations[tc.annotations-1])
			}
			if ops := f.Operations(); !slices.Equal(ops, []string{"checks/create", "checks/update"}) {
				t.Errorf("operations %v", ops)
			}
		})
	}
}

// A fork's token (no checks: write) gets 403 "Resource not accessible by integration": the
// caller gets the fallback, with one line that says what to grant.
func TestCheckRun_ForbiddenIsTheFallback(t *testing.T) {
	t.Parallel()
	f := githubtest.New(t)
	f.ChecksForbidden = true
	c, run := fakeClient(t, f, &sleeps{}, nil)
	_, err := StartCheckRun(context.Background(), c, run, "run-e2e", "head123")
	var fb *FallbackError
	if !errors.As(err, &fb) || fb.Status != http.StatusForbidden {
		t.Fatalf("err %v (%T), want a *FallbackError with 403", err, err)
	}
	if msg := err.Error(); strings.Contains(msg, "\n") || !strings.Contains(msg, "checks: write") || !strings.Contains(msg, "Resource not accessible by integration") {
		t.Errorf("message %q", msg)
	}
}

// A summary past GitHub's 65535 characters is cut (by characters, not bytes) with a note, and the
// request still satisfies the description's maxLength; a message past 64 KB is cut whole-rune.
func TestCheckRun_CutsSummaryAndMessageToGitHubsLimits(t *testing.T) {
	t.Parallel()
	f := githubtest.New(t)
	c, run := fakeClient(t, f, &sleeps{}, nil)
	cr, err := StartCheckRun(context.Background(), c, run, "lint-python", "head123")
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("é", 70000)
	if err := cr.Complete(context.Background(), "success", "ok", long, []Annotation{{Path: "a.py", StartLine: 3, Level: "error", Message: long}}); err != nil {
		t.Fatal(err)
	}
	r := f.CheckRuns()[0]
	if n := utf8.RuneCountInString(r.Summary); n != maxSummary || !strings.HasSuffix(r.Summary, "step summary has all of it)") {
		t.Errorf("summary of %d characters, ending %q", n, r.Summary[len(r.Summary)-40:])
	}
	a := r.Annotations[0]
	if msg := a["message"].(string); len(msg) > maxMessageBytes || !utf8.ValidString(msg) {
		t.Errorf("message of %d bytes, valid UTF-8 %v", len(msg), utf8.ValidString(msg))
	}
	if a["annotation_level"] != "failure" || a["end_line"] != float64(3) {
		t.Errorf("annotation %v: want level failure and end_line = start_line", a)
	}
}

// A conclusion GitHub would refuse is caught before anything is sent, naming the ones it takes.
func TestCheckRun_RefusesAConclusionGitHubDoesNotKnow(t *testing.T) {
	t.Parallel()
	f := githubtest.New(t)
	c, run := fakeClient(t, f, &sleeps{}, nil)
	cr, err := StartCheckRun(context.Background(), c, run, "lint-python", "head123")
	if err != nil {
		t.Fatal(err)
	}
	err = cr.Complete(context.Background(), "failed", "t", "s", nil)
	if err == nil || !strings.Contains(err.Error(), `"failed" is not one of`) {
		t.Errorf("err %v", err)
	}
	if runs := f.CheckRuns(); len(runs[0].AnnotationsPerWrite) != 1 {
		t.Errorf("%d writes, want only the create", len(runs[0].AnnotationsPerWrite))
	}
}
