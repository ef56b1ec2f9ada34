package compose

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/registry"
	"github.com/docker/docker/client"

	"github.com/slipway-actions/slipway/internal/compose/composetest"
	"github.com/slipway-actions/slipway/internal/dockertest"
	"github.com/slipway-actions/slipway/internal/images"
	"github.com/slipway-actions/slipway/internal/registry/registrytest"
	"github.com/slipway-actions/slipway/internal/registryauth"
)

// logLines collects what a Runner prints.
type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) infof(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

func (l *logLines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// oneService writes a project of one service (the test service, e2e) with the given YAML body and
// loads it.
func oneService(t *testing.T, body string) (*Runner, *logLines, Spec) {
	t.Helper()
	cli := dockertest.Client(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "compose.yml"), []byte("services:\n  e2e:\n"+body), 0o644); err != nil {
		t.Fatal(err)
	}
	log := &logLines{}
	name := strings.ToLower(dockertest.UniqueName(t, "pull"))
	r := &Runner{Docker: cli, Infof: log.infof, ProgressEvery: 100 * time.Millisecond,
		Builder: &images.Builder{Docker: cli, Log: tWriter{t}, Infof: t.Logf}}
	return r, log, Spec{Files: []string{"compose.yml"}, WorkDir: dir, ProjectName: name, TestService: "e2e"}
}

func ensure(t *testing.T, r *Runner, s Spec, build bool) (*Images, error) {
	t.Helper()
	p, _, err := Load(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	return r.EnsureImages(context.Background(), p, build)
}

// The images exist only in a docker-registry on loopback: run-e2e pulls them, several at once, with
// progress per image, then runs the platform.
func TestEnsureImages_PullsWhatTheEngineLacks(t *testing.T) {
	t.Parallel()
	cli := dockertest.Client(t)
	reg := registrytest.Start(t, registrytest.Options{})
	tag := strings.ToLower(dockertest.UniqueName(t, "t"))
	db := composetest.RegistryImage(t, cli, reg.Host, "slipway-test/db:"+tag, nil)
	tests := composetest.RegistryImage(t, cli, reg.Host, "slipway-test/e2e:"+tag, nil)
	composetest.Absent(t, cli, db)
	composetest.Absent(t, cli, tests)
	r, s := project(t)
	if err := os.WriteFile(filepath.Join(s.WorkDir, "compose.yml"), []byte(composetest.Compose(db, composetest.Green,
		"  e2e:\n    image: "+db, "  e2e:\n    image: "+tests)), 0o644); err != nil {
		t.Fatal(err)
	}
	log := &logLines{}
	r.Infof, r.ProgressEvery = log.infof, time.Second
	p, _, err := Load(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	imgs, err := r.EnsureImages(context.Background(), p, true)
	if err != nil {
		t.Fatalf("%v\n%s", err, log)
	}
	if len(imgs.Pulled) != 2 || imgs.PullTook <= 0 {
		t.Fatalf("pulled = %+v", imgs.Pulled)
	}
	for _, pl := range imgs.Pulled {
		if pl.Bytes <= 0 {
			t.Errorf("%s: %d bytes downloaded", pl.Image, pl.Bytes)
		}
		if pl.Image == db && strings.Join(pl.Services, ",") != "api,db,migrate" {
			t.Errorf("%s serves %v, want api, db and migrate (one pull for the three)", db, pl.Services)
		}
	}
	for _, img := range []string{db, tests} {
		if !strings.Contains(log.String(), "pulled "+img+" in ") {
			t.Errorf("no line says %s was pulled:\n%s", img, log)
		}
	}
	// One line per image per second at most, not one per layer or per message of the engine.
	for _, img := range []string{db, tests} {
		if n, most := strings.Count(log.String(), "pulling "+img+": "), int(imgs.PullTook/time.Second)+1; n > most {
			t.Errorf("%d progress lines for %s in %s: more than one a second\n%s", n, img, imgs.PullTook, log)
		}
	}
	res, err := r.Run(context.Background(), p, Options{TestService: "e2e", WaitTimeout: time.Minute})
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("run with the pulled images: exit %d, %v", res.ExitCode, err)
	}
}

func TestEnsureImages_HonoursEachPullPolicy(t *testing.T) {
	t.Parallel()
	cli := dockertest.Client(t)
	reg := registrytest.Start(t, registrytest.Options{})
	pulls := func(imgs *Images) int {
		if imgs == nil {
			return -1
		}
		return len(imgs.Pulled)
	}
	fresh := func(t *testing.T) string {
		return composetest.RegistryImage(t, cli, reg.Host, "slipway-test/policy:"+strings.ToLower(dockertest.UniqueName(t, "p")), nil)
	}
	t.Run("missing pulls an absent image and keeps a present one", func(t *testing.T) {
		t.Parallel()
		img := fresh(t)
		for _, policy := range []string{"", "    pull_policy: missing\n", "    pull_policy: if_not_present\n"} {
			r, _, s := oneService(t, "    image: "+img+"\n"+policy)
			imgs, err := ensure(t, r, s, true)
			want := 0
			if policy == "" {
				want = 1 // the first one pulls it
			}
			if err != nil || pulls(imgs) != want {
				t.Errorf("policy %q: %d pulls, %v; want %d", policy, pulls(imgs), err, want)
			}
		}
	})
	t.Run("always pulls a present image again", func(t *testing.T) {
		t.Parallel()
		img := fresh(t)
		for range 2 {
			r, _, s := oneService(t, "    image: "+img+"\n    pull_policy: always\n")
			if imgs, err := ensure(t, r, s, true); err != nil || pulls(imgs) != 1 {
				t.Errorf("%d pulls, %v; want 1", pulls(imgs), err)
			}
		}
	})
	t.Run("never refuses an absent image, uses a present one", func(t *testing.T) {
		t.Parallel()
		img := fresh(t)
		r, _, s := oneService(t, "    image: "+img+"\n    pull_policy: never\n")
		_, err := ensure(t, r, s, true)
		if !isInputError(err) || !strings.Contains(err.Error(), "image "+img+" (service e2e) is not on the engine and pull_policy never forbids pulling it") {
			t.Errorf("err = %v", err)
		}
		composetest.Absent(t, cli, img)
		r, _, s = oneService(t, "    image: "+img+"\n")
		if _, err := ensure(t, r, s, true); err != nil {
			t.Fatal(err)
		}
		r, _, s = oneService(t, "    image: "+img+"\n    pull_policy: never\n")
		if imgs, err := ensure(t, r, s, true); err != nil || pulls(imgs) != 0 {
			t.Errorf("%d pulls, %v; want 0", pulls(imgs), err)
		}
	})
	t.Run("build builds and never pulls", func(t *testing.T) {
		t.Parallel()
		img := fresh(t)
		r, _, s := oneService(t, "    image: "+img+"\n    pull_policy: build\n    build: ./ctx\n")
		composetest.BuildContext(t, filepath.Join(s.WorkDir, "ctx"), "FROM scratch\nCOPY platform /platform\nENTRYPOINT [\"/platform\"]\n")
		imgs, err := ensure(t, r, s, false) // even without the build input
		if err != nil || pulls(imgs) != 0 || len(imgs.Built) != 1 {
			t.Fatalf("imgs = %+v, %v; want one build and no pull", imgs, err)
		}
	})
	t.Run("a buildable image the registry lacks is built instead", func(t *testing.T) {
		t.Parallel()
		img := reg.Host + "/slipway-test/never-pushed:" + strings.ToLower(dockertest.UniqueName(t, "b"))
		r, log, s := oneService(t, "    image: "+img+"\n    build: ./ctx\n")
		composetest.BuildContext(t, filepath.Join(s.WorkDir, "ctx"), "FROM scratch\nCOPY platform /platform\nENTRYPOINT [\"/platform\"]\n")
		t.Cleanup(func() { removeImage(cli, img) })
		imgs, err := ensure(t, r, s, false)
		if err != nil || len(imgs.Built) != 1 || !strings.Contains(log.String(), "the image does not exist") || !strings.Contains(log.String(), "building it instead") {
			t.Fatalf("imgs = %+v, %v\n%s", imgs, err, log)
		}
	})
	t.Run("daily and every_ pull once the local image is older than the interval", func(t *testing.T) {
		t.Parallel()
		img := fresh(t)
		r, _, s := oneService(t, "    image: "+img+"\n    pull_policy: daily\n")
		if imgs, err := ensure(t, r, s, true); err != nil || pulls(imgs) != 1 {
			t.Fatalf("absent: %d pulls, %v; want 1", pulls(imgs), err)
		}
		if imgs, err := ensure(t, r, s, true); err != nil || pulls(imgs) != 0 {
			t.Errorf("pulled just now: %d pulls, %v; want 0", pulls(imgs), err)
		}
		r, _, s = oneService(t, "    image: "+img+"\n    pull_policy: every_1s\n")
		r.Now = olderThan(t, cli, img, time.Second)
		if imgs, err := ensure(t, r, s, true); err != nil || pulls(imgs) != 1 {
			t.Errorf("older than 1s: %d pulls, %v; want 1", pulls(imgs), err)
		}
	})
}

// olderThan is a clock that reads a moment when the engine's copy of img was tagged longer ago
// than d.
func olderThan(t *testing.T, cli *client.Client, img string, d time.Duration) func() time.Time {
	t.Helper()
	ins, err := cli.ImageInspect(context.Background(), img)
	if err != nil {
		t.Fatal(err)
	}
	return func() time.Time { return ins.Metadata.LastTagTime.Add(d + time.Second) }
}

// A registry with htpasswd: the login comes from the docker config (as docker/login-action writes
// it), or from one given for a registry the config lacks; without one the registry refuses us, and
// the error says so.
func TestEnsureImages_LogsInToAnHtpasswdRegistry(t *testing.T) {
	t.Parallel()
	cli := dockertest.Client(t)
	reg := registrytest.Start(t, registrytest.Options{User: "ci", Password: "s3cret-pull"})
	login := &registry.AuthConfig{Username: "ci", Password: "s3cret-pull", ServerAddress: reg.Host}
	img := composetest.RegistryImage(t, cli, reg.Host, "slipway-test/private:"+strings.ToLower(dockertest.UniqueName(t, "t")), login)
	config := func(t *testing.T, password string) string {
		dir := t.TempDir()
		auth := base64.StdEncoding.EncodeToString([]byte("ci:" + password))
		if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"auths":{"`+reg.Host+`":{"auth":"`+auth+`"}}}`), 0o600); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	for _, c := range []struct {
		name   string
		dir    string
		given  map[string]registryauth.Credentials
		refuse string // "" when the pull must work
	}{
		{name: "no login", refuse: "without a login"},
		{name: "a wrong password in the docker config", dir: config(t, "wrong"), refuse: "with the login from the docker config"},
		{name: "the docker config", dir: config(t, "s3cret-pull")},
		{name: "a login given for the registry", dir: t.TempDir(), given: map[string]registryauth.Credentials{"http://" + reg.Host + "/": {Username: "ci", Password: "s3cret-pull"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, _, s := oneService(t, "    image: "+img+"\n    pull_policy: always\n")
			var err error
			if r.Logins, err = registryauth.Open(registryauth.Sources{Dir: c.dir, Fallback: c.given}); err != nil {
				t.Fatal(err)
			}
			_, err = ensure(t, r, s, true)
			var pe *PullError
			switch {
			case c.refuse == "" && err != nil:
				t.Fatalf("pull: %v", err)
			case c.refuse == "":
			case !errors.As(err, &pe) || pe.Reason != PullRefused || !isInputError(err):
				t.Fatalf("err = %v, want a refusal (bad input)", err)
			case !strings.Contains(err.Error(), "pull "+img+" (service e2e): registry "+reg.Host+" refused us, "+c.refuse):
				t.Errorf("err = %v", err)
			}
			if err != nil && strings.Contains(err.Error(), "s3cret") {
				t.Errorf("the error holds the password: %v", err)
			}
		})
	}
}

func TestEnsureImages_SaysWhetherAnImageIsMissingOrTheRegistryIsDown(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t, registrytest.Options{})
	img := reg.Host + "/slipway-test/never-pushed:" + strings.ToLower(dockertest.UniqueName(t, "m"))
	r, _, s := oneService(t, "    image: "+img+"\n")
	_, err := ensure(t, r, s, true)
	var pe *PullError
	if !errors.As(err, &pe) || pe.Reason != PullNotFound || !isInputError(err) ||
		!strings.Contains(err.Error(), "pull "+img+" (service e2e): the image does not exist") {
		t.Errorf("err = %v", err)
	}
	reg.Stop()
	_, err = ensure(t, r, s, true)
	if !errors.As(err, &pe) || pe.Reason != PullUnreachable || isInputError(err) || !strings.Contains(err.Error(), "did not answer") {
		t.Errorf("registry down: err = %v", err)
	}
}

func TestClassify_ReadsTheEnginesWords(t *testing.T) {
	t.Parallel()
	for msg, want := range map[string]PullFailure{
		"manifest for 127.0.0.1:5000/x:1 not found: manifest unknown: manifest unknown":                             PullNotFound,
		`Head "http://127.0.0.1:5000/v2/x/manifests/1": no basic auth credentials`:                                  PullRefused,
		"unauthorized: authentication required":                                                                     PullRefused,
		"pull access denied for acme/x, repository does not exist or may require 'docker login': denied: requested": PullAmbiguous,
		`Get "http://127.0.0.1:5999/v2/": dial tcp 127.0.0.1:5999: connect: connection refused`:                     PullUnreachable,
		"write /var/lib/docker/tmp: no space left on device":                                                        PullFailed,
	} {
		if got := classify(errors.New(msg)); got != want {
			t.Errorf("classify(%q) = %d, want %d", msg, got, want)
		}
	}
}

func removeImage(cli *client.Client, img string) {
	_, _ = cli.ImageRemove(context.Background(), img, image.RemoveOptions{Force: true})
}
