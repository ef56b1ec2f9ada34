package registrytest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// TokenOptions configure a registry with Docker Hub's token authentication.
type TokenOptions struct {
	User, Password string
	Namespace      string // the user may push to <Namespace>/… only; anywhere when empty
}

// TokenRegistry is docker-registry behind the token authentication Docker Hub uses, as the
// distribution project specifies it ("Token Authentication Specification",
// distribution.github.io/distribution/spec/auth/token/, and "Token Scope Documentation",
// …/spec/auth/scope/):
//   - the registry answers a request without a token it accepts 401 with
//     `WWW-Authenticate: Bearer realm="<token service>",service="<service>",scope="repository:<name>:<actions>"`
//     (no scope for /v2/; error="insufficient_scope" when a token was given that does not grant it)
//     and UNAUTHORIZED, or DENIED, in the body;
//   - the token service (a server of its own, as auth.docker.io is) takes GET ?service=&scope=… with
//     Basic credentials, or none: the right ones get pull on every repository and pull,push inside
//     the namespace, no credentials get pull only, wrong ones 401 {"details":"incorrect username or
//     password"} (auth.docker.io's answer); it returns {"token", "access_token", "expires_in",
//     "issued_at"} with the same opaque token in both, as Docker Hub does;
//   - the registry then takes `Authorization: Bearer <token>` only for what the token granted: pull
//     for GET and HEAD, push for the rest; a cross-repository mount from a repository it may not pull
//     becomes a plain upload, as the distribution spec lets a registry answer a mount it will not make.
type TokenRegistry struct {
	Host    string // the registry: 127.0.0.1:port
	Realm   string // the token service's URL
	Service string

	o TokenOptions

	mu       sync.Mutex
	tokens   map[string]map[string][]string // token → repository → actions granted
	requests []TokenRequest
}

// TokenRequest is one request to the token service.
type TokenRequest struct {
	Account   string // the Basic user; "" when anonymous
	UserAgent string
	Valid     bool     // the credentials were right (or there were none)
	Scopes    []string // as asked
	Granted   []string // as granted, repository:<name>:<actions>
}

// StartToken runs docker-registry without auth of its own behind the token check, and a token
// service for it, until the test ends.
func StartToken(t testing.TB, o TokenOptions) *TokenRegistry {
	t.Helper()
	backend := Start(t, Options{})
	tr := &TokenRegistry{o: o, Service: "registry.slipway.test", tokens: map[string]map[string][]string{}}
	auth := httptest.NewServer(http.HandlerFunc(tr.token))
	t.Cleanup(auth.Close)
	// Named localhost, not 127.0.0.1: go-containerregistry refuses a realm at a loopback IP literal
	// other than the registry's own host:port (an SSRF guard), as it would a private address on the
	// internet; auth.docker.io is a name too.
	tr.Realm = strings.Replace(auth.URL, "127.0.0.1", "localhost", 1) + "/token"
	rp := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: backend.Host})
	reg := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { tr.serve(w, r, rp) }))
	t.Cleanup(reg.Close)
	tr.Host = strings.TrimPrefix(reg.URL, "http://")
	return tr
}

// Requests lists the token service's requests so far.
func (tr *TokenRegistry) Requests() []TokenRequest {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return slices.Clone(tr.requests)
}

// token is the token service: GET <realm>?service=…&scope=…[&scope=…] with Basic credentials or none.
func (tr *TokenRegistry) token(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if r.Method != http.MethodGet || r.URL.Path != "/token" || q.Get("service") != tr.Service {
		http.Error(w, `{"details":"invalid request"}`, http.StatusBadRequest)
		return
	}
	var scopes []string
	for _, s := range q["scope"] {
		scopes = append(scopes, strings.Fields(s)...)
	}
	user, pass, basic := r.BasicAuth()
	req := TokenRequest{Account: user, UserAgent: r.UserAgent(), Scopes: scopes, Valid: !basic || (user == tr.o.User && pass == tr.o.Password)}
	if !req.Valid {
		tr.record(req)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprintln(w, `{"details":"incorrect username or password"}`)
		return
	}
	grants := map[string][]string{}
	for _, s := range scopes {
		typ, name, actions, ok := parseScope(s)
		if !ok || typ != "repository" {
			continue // a scope the service does not know is granted nothing
		}
		var granted []string
		for _, a := range actions {
			switch {
			case a == "pull":
				granted = append(granted, a)
			case a == "push" && basic && (tr.o.Namespace == "" || strings.HasPrefix(name, tr.o.Namespace+"/")):
				granted = append(granted, a)
			}
		}
		if len(granted) > 0 {
			grants[name] = append(grants[name], granted...)
			req.Granted = append(req.Granted, "repository:"+name+":"+strings.Join(granted, ","))
		}
	}
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	tok := hex.EncodeToString(b)
	tr.mu.Lock()
	tr.tokens[tok] = grants
	tr.mu.Unlock()
	tr.record(req)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"token": tok, "access_token": tok, "expires_in": 300, "issued_at": time.Now().UTC().Format(time.RFC3339),
	})
}

func (tr *TokenRegistry) record(req TokenRequest) {
	tr.mu.Lock()
	tr.requests = append(tr.requests, req)
	tr.mu.Unlock()
}

// parseScope reads resourcetype:resourcename:action[,action…]; the name may hold a port's colon.
func parseScope(s string) (typ, name string, actions []string, ok bool) {
	first, last := strings.Index(s, ":"), strings.LastIndex(s, ":")
	if first < 0 || first == last {
		return "", "", nil, false
	}
	return s[:first], s[first+1 : last], strings.Split(s[last+1:], ","), true
}

var repoRequest = regexp.MustCompile(`^/v2/(.+)/(?:blobs|manifests|tags)/`)

// serve checks a registry request's token against what it needs, then hands it to docker-registry.
func (tr *TokenRegistry) serve(w http.ResponseWriter, r *http.Request, next http.Handler) {
	tok, hasToken := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	tr.mu.Lock()
	grants, known := tr.tokens[tok]
	tr.mu.Unlock()
	known = known && hasToken
	m := repoRequest.FindStringSubmatch(r.URL.Path)
	if m == nil { // /v2/ and anything not under a repository: any token
		if !known {
			tr.challenge(w, "", "", false)
			return
		}
		r.Header.Del("Authorization")
		next.ServeHTTP(w, r)
		return
	}
	repo, need := m[1], "push"
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		need = "pull"
	}
	if !known || !slices.Contains(grants[repo], need) {
		actions := "pull"
		if need == "push" {
			actions = "pull,push"
		}
		tr.challenge(w, "repository:"+repo+":"+actions, repo, known)
		return
	}
	if q := r.URL.Query(); q.Has("mount") && !slices.Contains(grants[q.Get("from")], "pull") {
		q.Del("mount")
		q.Del("from")
		r.URL.RawQuery = q.Encode()
	}
	r.Header.Del("Authorization")
	next.ServeHTTP(w, r)
}

// challenge is the registry's 401: the Bearer challenge that says where to get a token for what.
func (tr *TokenRegistry) challenge(w http.ResponseWriter, scope, repo string, insufficient bool) {
	h := fmt.Sprintf(`Bearer realm=%q,service=%q`, tr.Realm, tr.Service)
	if scope != "" {
		h += fmt.Sprintf(`,scope=%q`, scope)
	}
	code, msg := "UNAUTHORIZED", "authentication required"
	if insufficient {
		h += `,error="insufficient_scope"`
		code, msg = "DENIED", "requested access to the resource is denied"
	}
	w.Header().Set("WWW-Authenticate", h)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusUnauthorized)
	detail := "null"
	if repo != "" {
		detail = fmt.Sprintf(`[{"Type":"repository","Class":"","Name":%q,"Action":%q}]`, repo, strings.Split(scope, ":")[2])
	}
	fmt.Fprintf(w, `{"errors":[{"code":%q,"message":%q,"detail":%s}]}`+"\n", code, msg, detail)
}
