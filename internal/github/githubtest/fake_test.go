package githubtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// recorder is a TB that keeps the fake's violation reports instead of failing the test.
type recorder struct {
	mu     sync.Mutex
	errors []string
	t      *testing.T
}

func (r *recorder) Helper()          {}
func (r *recorder) Cleanup(f func()) { r.t.Cleanup(f) }
func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func send(t *testing.T, f *GitHub, method, path string, body any) int {
	t.Helper()
	data, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, f.URL+path, bytes.NewReader(data))
	req.Header.Set("Authorization", "Bearer "+f.Token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// GitHub's description caps an update at 50 annotations: the fake refuses 51 and reports it.
func TestFake_ReportsAnUpdateWithMoreThan50Annotations(t *testing.T) {
	t.Parallel()
	rec := &recorder{t: t}
	f := New(rec)
	if got := send(t, f, http.MethodPost, "/repos/acme/web/check-runs", map[string]any{"name": "lint", "head_sha": "head123", "status": "in_progress"}); got != http.StatusCreated {
		t.Fatalf("create: %d, %v", got, rec.errors)
	}
	var annotations []map[string]any
	for i := range 51 {
		annotations = append(annotations, map[string]any{"path": "a.py", "start_line": i + 1, "end_line": i + 1, "annotation_level": "warning", "message": "m"})
	}
	got := send(t, f, http.MethodPatch, "/repos/acme/web/check-runs/1", map[string]any{"name": "lint", "output": map[string]any{"title": "t", "summary": "s", "annotations": annotations}})
	if got != http.StatusUnprocessableEntity || len(rec.errors) != 1 || !strings.Contains(rec.errors[0], "annotations") {
		t.Errorf("51 annotations: %d, reports %q", got, rec.errors)
	}
	if runs := f.CheckRuns(); len(runs[0].Annotations) != 0 {
		t.Errorf("the refused update was kept: %d annotations", len(runs[0].Annotations))
	}
}

// A completed status without a conclusion is what the description's anyOf refuses.
func TestFake_ReportsACompletedCheckRunWithoutConclusion(t *testing.T) {
	t.Parallel()
	rec := &recorder{t: t}
	f := New(rec)
	send(t, f, http.MethodPost, "/repos/acme/web/check-runs", map[string]any{"name": "lint", "head_sha": "head123", "status": "in_progress"})
	got := send(t, f, http.MethodPatch, "/repos/acme/web/check-runs/1", map[string]any{"name": "lint", "status": "completed"})
	if got != http.StatusUnprocessableEntity || len(rec.errors) != 1 {
		t.Errorf("completed without conclusion: %d, reports %q", got, rec.errors)
	}
}

// Requests outside GITHUB_API_URL's /api/v3 are a client bug the fake reports.
func TestFake_ReportsRequestsOutsideTheAPIRoot(t *testing.T) {
	t.Parallel()
	rec := &recorder{t: t}
	f := New(rec)
	f.URL = strings.TrimSuffix(f.URL, "/api/v3")
	if got := send(t, f, http.MethodPost, "/repos/acme/web/check-runs", map[string]any{"name": "lint", "head_sha": "h"}); got != http.StatusNotFound || len(rec.errors) != 1 {
		t.Errorf("outside /api/v3: %d, reports %q", got, rec.errors)
	}
}
