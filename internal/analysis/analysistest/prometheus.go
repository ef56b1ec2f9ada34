package analysistest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slipway-actions/slipway/internal/dockertest"
)

// Prometheus starts Debian's prometheus on a free loopback port, scraping target (host:port) every
// second into a TSDB in the test's temporary directory, and returns its URL once it is ready. It is
// stopped when the test ends. Without prometheus the test skips, or fails under
// SLIPWAY_REQUIRE_DOCKER=1.
func Prometheus(t testing.TB, target string) string {
	t.Helper()
	bin, err := exec.LookPath("prometheus")
	dockertest.Require(t, "prometheus (Debian: apt-get install prometheus)", err)
	dir := t.TempDir()
	config := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(config, []byte(fmt.Sprintf(`global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
  - job_name: app
    static_configs: [{targets: [%q]}]
`, target)), 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	cmd := exec.Command(bin, "--config.file="+config, "--storage.tsdb.path="+filepath.Join(dir, "tsdb"),
		"--web.listen-address="+addr, "--log.level=warn")
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &lockedWriter{w: &logs}, &lockedWriter{w: &logs}
	wait, err := dockertest.StartWithTest(cmd)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = wait(); close(done) }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-done })
	url := "http://" + addr
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url+"/-/ready", nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return url
			}
		}
		select {
		case <-done:
			t.Fatalf("prometheus exited before it was ready: %s", logs.String())
		case <-ctx.Done():
			t.Fatalf("prometheus was not ready on %s within 60s: %s", url, logs.String())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

type lockedWriter struct {
	mu sync.Mutex
	w  *strings.Builder
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// Exporter is an application's /metrics as Prometheus scrapes it: counters of requests and errors
// per user (label "user"), each scrape adding 10 requests per user and errors at the user's error
// rate. Tests change the rates while Prometheus scrapes.
type Exporter struct {
	URL  string // the server; Host is the scrape target
	Host string

	mu       sync.Mutex
	users    []string
	rate     func(user string) float64
	requests map[string]float64
	errors   map[string]float64
}

// NewExporter serves the users' counters, all at error rate 0.
func NewExporter(t testing.TB, users []string) *Exporter {
	e := &Exporter{users: users, rate: func(string) float64 { return 0 }, requests: map[string]float64{}, errors: map[string]float64{}}
	srv := httptest.NewServer(http.HandlerFunc(e.serve))
	t.Cleanup(srv.Close)
	e.URL, e.Host = srv.URL, strings.TrimPrefix(srv.URL, "http://")
	return e
}

// SetErrorRate sets each user's error rate from the next scrape on.
func (e *Exporter) SetErrorRate(rate func(user string) float64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.rate = rate
}

// serve writes the text exposition format
// (https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format).
func (e *Exporter) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/metrics" {
		http.NotFound(w, r)
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	users := append([]string(nil), e.users...)
	sort.Strings(users)
	var b strings.Builder
	b.WriteString("# TYPE app_requests_total counter\n")
	for _, u := range users {
		e.requests[u] += 10
		e.errors[u] += 10 * e.rate(u)
		fmt.Fprintf(&b, "app_requests_total{user=%q} %g\n", u, e.requests[u])
	}
	b.WriteString("# TYPE app_errors_total counter\n")
	for _, u := range users {
		fmt.Fprintf(&b, "app_errors_total{user=%q} %g\n", u, e.errors[u])
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	_, _ = w.Write([]byte(b.String()))
}
