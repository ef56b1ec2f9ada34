package buildpushimages

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/slipway-actions/slipway/internal/actionkit/actiontest"
	"github.com/slipway-actions/slipway/internal/registry/registrytest"
)

// pushedWithToken reports whether the token service gave user push on repo, asked by a client
// whose User-Agent starts with agent: that client went through the Bearer flow, not around it.
func pushedWithToken(tr *registrytest.TokenRegistry, agent, user, repo string) bool {
	return slices.ContainsFunc(tr.Requests(), func(r registrytest.TokenRequest) bool {
		return strings.HasPrefix(r.UserAgent, agent) && r.Account == user && r.Valid && slices.ContainsFunc(r.Granted, func(g string) bool {
			actions, ok := strings.CutPrefix(g, "repository:"+repo+":")
			return ok && slices.Contains(strings.Split(actions, ","), "push")
		})
	})
}

// Registries that authenticate as Docker Hub does (a Bearer challenge, a token service that takes
// Basic credentials, tokens scoped to a repository): the engine pushes to the first, through its
// own token flow, and go-containerregistry copies to the second, through its own; with username and
// password, or with the docker config that docker login writes.
func TestBuildPush_PushesToTokenAuthRegistries(t *testing.T) {
	t.Parallel()
	const user, password = "bot", "hub-token-0c3f9a7e"
	for _, how := range []string{"username and password", "docker config"} {
		t.Run(how, func(t *testing.T) {
			t.Parallel()
			o := registrytest.TokenOptions{User: user, Password: password, Namespace: "acme"}
			first, second := registrytest.StartToken(t, o), registrytest.StartToken(t, o)
			r, _ := platform(t, "FROM scratch\nCOPY api.txt /\n")
			r.Input("images", "api").Input("registries", first.Host+"/acme\n"+second.Host+"/acme").Input("tags", "type=raw,value=v1")
			dir := t.TempDir()
			r.Env["DOCKER_CONFIG"] = dir
			if how == "username and password" {
				r.Input("username", user).Input("password", password)
			} else {
				auth := base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
				cfg := fmt.Sprintf(`{"auths":{%q:{"auth":%q},%q:{"auth":%q}}}`, first.Host, auth, second.Host, auth)
				if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(cfg), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			res := r.Run(t, context.Background(), Main)
			cleanupImages(t, res.Outputs)
			if res.Code != 0 {
				t.Fatalf("exit %d\n%s", res.Code, res.Stdout)
			}
			auth := authn.FromConfig(authn.AuthConfig{Username: user, Password: password})
			for _, c := range []struct {
				tr     *registrytest.TokenRegistry
				pusher string // User-Agent of the client that pushes there
			}{{first, "docker/"}, {second, "go-containerregistry"}} {
				if got := registrytest.Tags(t, c.tr.Host+"/acme/api", auth); got["v1"] == "" || got["v1"] != res.Outputs["digest"] {
					t.Errorf("%s/acme/api holds %v, want v1 at %s", c.tr.Host, got, res.Outputs["digest"])
				}
				if !pushedWithToken(c.tr, c.pusher, user, "acme/api") {
					t.Errorf("%s's token service gave %s no push token for acme/api: %+v", c.tr.Host, c.pusher, c.tr.Requests())
				}
			}
			if strings.Contains(actiontest.WithoutMaskCommands(res.Stdout)+res.Summary+res.Outputs["images"], password) {
				t.Error("the password leaked into the log, summary or outputs")
			}
		})
	}
}

// A password the token service refuses is for the user to change: exit 2 naming the registry,
// before anything is pushed, and the password nowhere in the log.
func TestBuildPush_ATokenServiceRefusingThePasswordExits2(t *testing.T) {
	t.Parallel()
	const wrong = "wrong-hub-token-8675309"
	tr := registrytest.StartToken(t, registrytest.TokenOptions{User: "bot", Password: "right", Namespace: "acme"})
	r, _ := platform(t, "FROM scratch\nCOPY api.txt /\n")
	r.Input("images", "api").Input("registries", tr.Host+"/acme").Input("tags", "type=raw,value=v1")
	r.Input("username", "bot").Input("password", wrong)
	res := r.Run(t, context.Background(), Main)
	cleanupImages(t, res.Outputs)
	if res.Code != 2 {
		t.Fatalf("exit %d, want 2\n%s", res.Code, res.Stdout)
	}
	for _, want := range []string{"nothing was pushed", tr.Host + ": registry said 401 Unauthorized for " + tr.Host + "/acme/api", `check that "username" and "password" can push there`} {
		if !strings.Contains(res.Stdout, want) {
			t.Errorf("log lacks %q:\n%s", want, res.Stdout)
		}
	}
	if strings.Contains(actiontest.WithoutMaskCommands(res.Stdout)+res.Summary, wrong) {
		t.Error("the password leaked into the log or summary")
	}
	reqs := tr.Requests()
	if len(reqs) == 0 || slices.ContainsFunc(reqs, func(r registrytest.TokenRequest) bool { return r.Valid }) {
		t.Errorf("token requests %+v: want only refused ones", reqs)
	}
	if got := registrytest.Tags(t, tr.Host+"/acme/api", authn.FromConfig(authn.AuthConfig{Username: "bot", Password: "right"})); len(got) != 0 {
		t.Errorf("pushed %v", got)
	}
}
