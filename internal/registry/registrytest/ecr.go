package registrytest

import (
	"encoding/base64"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
)

// ECR is an in-memory registry that answers as an ECR repository with immutable tags does: basic
// auth with the user AWS and a token from GetAuthorizationToken, and a 400 TAG_INVALID for a
// manifest PUT to a tag that exists (ECR refuses even the same digest).
type ECR struct {
	Host string

	mu       sync.Mutex
	password string
	tags     map[string]bool // repo:tag written
	refused  []string
}

var manifestPath = regexp.MustCompile(`^/v2/(.+)/manifests/([^/]+)$`)

// NewECR starts the registry; SetToken gives it the token GetAuthorizationToken returned.
func NewECR(t testing.TB) *ECR {
	e := &ECR{tags: map[string]bool{}}
	inner := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, ok := r.BasicAuth()
		e.mu.Lock()
		want := e.password
		e.mu.Unlock()
		if !ok || user != "AWS" || pass != want {
			w.Header().Set("WWW-Authenticate", `Basic realm="https://ecr.test/",service="ecr.amazonaws.com"`)
			http.Error(w, `{"errors":[{"code":"DENIED","message":"Your authorization token has expired. Reauthenticate and try again."}]}`, http.StatusUnauthorized)
			return
		}
		if m := manifestPath.FindStringSubmatch(r.URL.Path); m != nil && r.Method == http.MethodPut && !strings.HasPrefix(m[2], "sha256:") {
			key := m[1] + ":" + m[2]
			e.mu.Lock()
			exists := e.tags[key]
			if exists {
				e.refused = append(e.refused, key)
			}
			e.mu.Unlock()
			if exists {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusBadRequest)
				fmt.Fprintf(w, `{"errors":[{"code":"TAG_INVALID","message":"The image tag '%s' already exists in the '%s' repository and cannot be overwritten because the repository is immutable."}]}`, m[2], m[1])
				return
			}
			rec := &statusRecorder{ResponseWriter: w}
			inner.ServeHTTP(rec, r)
			if rec.status/100 == 2 {
				e.mu.Lock()
				e.tags[key] = true
				e.mu.Unlock()
			}
			return
		}
		inner.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	e.Host = strings.TrimPrefix(srv.URL, "http://")
	return e
}

// SetToken accepts the base64 AWS:password token of GetAuthorizationToken.
func (e *ECR) SetToken(token string) {
	raw, _ := base64.StdEncoding.DecodeString(token)
	_, pass, _ := strings.Cut(string(raw), ":")
	e.mu.Lock()
	e.password = pass
	e.mu.Unlock()
}

// Refused lists the repo:tag PUTs refused because the tag existed.
func (e *ECR) Refused() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.refused...)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) { s.status = code; s.ResponseWriter.WriteHeader(code) }

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}
