package registrytest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
)

// do sends one request with an Authorization header ("" for none) and returns the answer, closed.
func do(t *testing.T, method, u, authorization string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = resp.Body.Close() })
	return resp
}

// getToken asks the token service for scopes as a client does; user "" asks anonymously.
func getToken(t *testing.T, tr *TokenRegistry, user, pass string, scopes ...string) (int, map[string]any) {
	t.Helper()
	q := url.Values{"service": {tr.Service}, "scope": scopes}
	req, _ := http.NewRequest(http.MethodGet, tr.Realm+"?"+q.Encode(), nil)
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body := map[string]any{}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("token answer is not JSON: %v", err)
	}
	return resp.StatusCode, body
}

func TestTokenRegistry_ChallengesWithTheTokenServiceAndScope(t *testing.T) {
	t.Parallel()
	tr := StartToken(t, TokenOptions{User: "bot", Password: "hub-pw", Namespace: "acme"})
	base := `Bearer realm="` + tr.Realm + `",service="registry.slipway.test"`
	for _, c := range []struct{ method, path, want string }{
		{http.MethodGet, "/v2/", base},
		{http.MethodGet, "/v2/acme/api/tags/list", base + `,scope="repository:acme/api:pull"`},
		{http.MethodPost, "/v2/acme/api/blobs/uploads/", base + `,scope="repository:acme/api:pull,push"`},
	} {
		resp := do(t, c.method, "http://"+tr.Host+c.path, "")
		if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") != c.want {
			t.Errorf("%s %s: %d, WWW-Authenticate %q, want 401 with %q", c.method, c.path, resp.StatusCode, resp.Header.Get("WWW-Authenticate"), c.want)
		}
	}
}

func TestTokenRegistry_TheTokenServiceChecksBasicCredentials(t *testing.T) {
	t.Parallel()
	tr := StartToken(t, TokenOptions{User: "bot", Password: "hub-pw", Namespace: "acme"})
	if code, body := getToken(t, tr, "bot", "wrong", "repository:acme/api:pull,push"); code != http.StatusUnauthorized || body["details"] != "incorrect username or password" {
		t.Errorf("wrong password: %d %v", code, body)
	}
	code, body := getToken(t, tr, "bot", "hub-pw", "repository:acme/api:pull,push", "repository:other/x:pull,push")
	if code != http.StatusOK || body["token"] == nil || body["token"] != body["access_token"] || body["expires_in"] == nil || body["issued_at"] == nil {
		t.Fatalf("right password: %d %v", code, body)
	}
	reqs := tr.Requests()
	if got := reqs[len(reqs)-1].Granted; !slices.Equal(got, []string{"repository:acme/api:pull,push", "repository:other/x:pull"}) {
		t.Errorf("granted %v: push only inside the namespace", got)
	}
	if code, _ := getToken(t, tr, "", "", "repository:acme/api:pull,push"); code != http.StatusOK {
		t.Errorf("anonymous: %d", code)
	}
	reqs = tr.Requests()
	if got := reqs[len(reqs)-1].Granted; !slices.Equal(got, []string{"repository:acme/api:pull"}) {
		t.Errorf("anonymous was granted %v, want pull only", got)
	}
}

func TestTokenRegistry_ATokenServesOnlyItsScope(t *testing.T) {
	t.Parallel()
	tr := StartToken(t, TokenOptions{User: "bot", Password: "hub-pw", Namespace: "acme"})
	_, body := getToken(t, tr, "bot", "hub-pw", "repository:acme/api:pull,push")
	bearer := "Bearer " + body["token"].(string)
	_, anon := getToken(t, tr, "", "", "repository:acme/api:pull,push")
	for _, c := range []struct {
		auth, method, path string
		allowed            bool
	}{
		{bearer, http.MethodGet, "/v2/", true},
		{bearer, http.MethodPost, "/v2/acme/api/blobs/uploads/", true},
		{bearer, http.MethodPost, "/v2/acme/web/blobs/uploads/", false},
		{bearer, http.MethodGet, "/v2/acme/web/tags/list", false},
		{"Bearer " + anon["token"].(string), http.MethodGet, "/v2/acme/api/tags/list", true},
		{"Bearer " + anon["token"].(string), http.MethodPost, "/v2/acme/api/blobs/uploads/", false},
		{"Bearer not-a-token", http.MethodGet, "/v2/", false},
		{"Basic Ym90Omh1Yi1wdw==", http.MethodGet, "/v2/", false}, // bot:hub-pw straight to the registry
	} {
		resp := do(t, c.method, "http://"+tr.Host+c.path, c.auth)
		if got := resp.StatusCode != http.StatusUnauthorized; got != c.allowed {
			t.Errorf("%s %s with %.12s…: %d, allowed %v", c.method, c.path, c.auth, resp.StatusCode, c.allowed)
		}
		if !c.allowed && strings.HasPrefix(c.auth, "Bearer ") && strings.Contains(c.path, "/acme/") &&
			!strings.Contains(resp.Header.Get("WWW-Authenticate"), `error="insufficient_scope"`) {
			t.Errorf("%s %s: WWW-Authenticate %q lacks insufficient_scope", c.method, c.path, resp.Header.Get("WWW-Authenticate"))
		}
	}
}

// go-containerregistry, as a docker client, follows the challenge to the token service and pushes.
func TestTokenRegistry_AClientPushesWithTheRightPasswordOnly(t *testing.T) {
	t.Parallel()
	tr := StartToken(t, TokenOptions{User: "bot", Password: "hub-pw", Namespace: "acme"})
	right := authn.FromConfig(authn.AuthConfig{Username: "bot", Password: "hub-pw"})
	d, err := write(t, tr.Host+"/acme/api:1", right)
	if err != nil {
		t.Fatal(err)
	}
	if got := Tags(t, tr.Host+"/acme/api", right); got["1"] != d.String() {
		t.Errorf("acme/api holds %v, want 1 at %s", got, d)
	}
	_, err = write(t, tr.Host+"/acme/api:2", authn.FromConfig(authn.AuthConfig{Username: "bot", Password: "wrong"}))
	if status, _ := registryError(err); status != http.StatusUnauthorized {
		t.Errorf("push with a wrong password: %v, want 401", err)
	}
	if _, err := write(t, tr.Host+"/other/api:1", right); err == nil {
		t.Error("pushed outside the namespace")
	}
}
