package actiontest

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
)

// Fakes stands a counting proxy in front of each outside system a test points an action at (a fake
// ECS or Flagsmith, a registry, a GitHub API, the Docker engine), so that CheckAction can tell that
// a run with bad input sent nothing at all, whatever the fake behind would have made of it, and what
// a run with secrets sent where.
type Fakes struct {
	mu       sync.Mutex
	requests []SentRequest
}

// SentRequest is one request a proxy passed on: which fake it was for, and what it said (the
// headers, and the first maxRecordedBody bytes of its body) for the secret checks.
type SentRequest struct {
	Fake   string
	Method string
	Path   string
	Text   string // request line, headers and the start of the body
}

// maxRecordedBody is how much of a request's body the proxy keeps for the checks: enough for any API
// call's JSON; a layer upload's bytes are passed on whole but not kept.
const maxRecordedBody = 1 << 20

// Requests lists what the proxies passed on so far, in order. Name each fake as a sentence would
// ("the fake ECS"): the checks say "a request reached the fake ECS".
func (f *Fakes) Requests() []SentRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]SentRequest(nil), f.requests...)
}

// HTTP puts a counting proxy in front of the HTTP server at target (a base URL, e.g. an
// httptest.Server's) and returns the proxy's URL with target's path: use it where the action would
// use target.
func (f *Fakes) HTTP(t testing.TB, name, target string) string {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatalf("fake %s: %v", name, err)
	}
	rp := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: u.Scheme, Host: u.Host})
	rp.Transport = &http.Transport{DisableCompression: true}
	srv := f.serve(t, name, rp)
	return srv + u.Path
}

// Host is HTTP for a target given as host:port (a registry), returning the proxy's host:port.
func (f *Fakes) Host(t testing.TB, name, hostPort string) string {
	t.Helper()
	return strings.TrimPrefix(f.HTTP(t, name, "http://"+hostPort), "http://")
}

// DockerEngine puts a counting proxy in front of the Docker engine's socket (the test's DOCKER_HOST,
// unix:// only, else the default socket) and returns a DOCKER_HOST for it (tcp://127.0.0.1:port).
// The engine need not be running: a run that sends nothing never finds out. Upgraded connections
// (attach, a BuildKit session) pass through; each counts once, as the request that opened it.
func (f *Fakes) DockerEngine(t testing.TB) string {
	t.Helper()
	socket := "/var/run/docker.sock"
	if h := os.Getenv("DOCKER_HOST"); h != "" {
		p, ok := strings.CutPrefix(h, "unix://")
		if !ok {
			t.Fatalf("DOCKER_HOST=%s: the counting proxy speaks to a unix socket only", h)
		}
		socket = p
	}
	rp := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: "docker"})
	rp.Transport = &http.Transport{
		DisableCompression: true,
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", socket)
		},
	}
	rp.FlushInterval = -1 // logs and events stream
	return "tcp://" + strings.TrimPrefix(f.serve(t, "the Docker engine", rp), "http://")
}

func (f *Fakes) serve(t testing.TB, name string, next http.Handler) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var text bytes.Buffer
		text.WriteString(r.Method + " " + r.URL.String() + "\n")
		_ = r.Header.Write(&text)
		if r.Body != nil && r.Header.Get("Upgrade") == "" {
			head, _ := io.ReadAll(io.LimitReader(r.Body, maxRecordedBody))
			text.Write(head)
			r.Body = struct {
				io.Reader
				io.Closer
			}{io.MultiReader(bytes.NewReader(head), r.Body), r.Body}
		}
		f.mu.Lock()
		f.requests = append(f.requests, SentRequest{Fake: name, Method: r.Method, Path: r.URL.Path, Text: text.String()})
		f.mu.Unlock()
		next.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}
