package images

import (
	"context"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/registry"

	"github.com/slipway-actions/slipway/internal/compose/composetest"
	"github.com/slipway-actions/slipway/internal/dockertest"
	"github.com/slipway-actions/slipway/internal/registry/registrytest"
	"github.com/slipway-actions/slipway/internal/registryauth"
)

// A base image that exists only in a registry with htpasswd, as a private base on a fresh runner:
// the build pulls it with the login of the docker config (BuildKit asks over its session, the
// classic builder gets it with the request); without a login, or for a base that does not exist,
// the build fails before any step with a BaseImageError naming the image, and never the password.
func TestBuild_PullsAPrivateBaseImageWithTheLogins(t *testing.T) {
	t.Parallel()
	b, cli, log := newBuilder(t)
	reg := registrytest.Start(t, registrytest.Options{User: "ci", Password: "s3cret-base"})
	login := &registry.AuthConfig{Username: "ci", Password: "s3cret-base", ServerAddress: reg.Host}
	base := composetest.RegistryImage(t, cli, reg.Host, "slipway-test/base:"+strings.ToLower(dockertest.UniqueName(t, "b")), login)
	removeImages(t, cli, base)
	missing := reg.Host + "/slipway-test/never-pushed:1"
	configDir := t.TempDir()
	auth := base64.StdEncoding.EncodeToString([]byte("ci:s3cret-base"))
	if err := os.WriteFile(filepath.Join(configDir, "config.json"), []byte(`{"auths":{"`+reg.Host+`":{"auth":"`+auth+`"}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	logins, err := registryauth.Open(registryauth.Sources{Dir: configDir})
	if err != nil {
		t.Fatal(err)
	}
	fromConfig := logins.Find
	given := func(host string) (registryauth.Login, error) {
		if host != reg.Host {
			return registryauth.Login{}, nil
		}
		return registryauth.Login{AuthConfig: registry.AuthConfig{Username: "ci", Password: "s3cret-base"}, Source: "given"}, nil
	}
	for _, c := range []struct {
		name     string
		from     string
		login    LoginFunc
		classic  bool
		copyFrom bool            // the image is not a FROM but COPY --from's: BuildKit asks for its login all the same
		fail     BaseImageReason // 0: the build must work
	}{
		// Refusals first: a pull that worked leaves the base on the engine, where the classic builder
		// would find it (each case also removes it).
		{name: "no login", from: base, fail: BaseImageRefused},
		{name: "the classic builder without a login", from: base, classic: true, fail: BaseImageRefused},
		{name: "the docker config", from: base, login: fromConfig},
		{name: "a login given", from: base, login: given},
		{name: "the classic builder", from: base, login: fromConfig, classic: true},
		{name: "a base that does not exist", from: missing, login: fromConfig, fail: BaseImageMissing},
		{name: "COPY --from an image of the registry", from: base, login: fromConfig, copyFrom: true},
		{name: "the classic builder and a base that does not exist", from: missing, login: fromConfig, classic: true, fail: BaseImageMissing},
	} {
		t.Run(c.name, func(t *testing.T) {
			df := "FROM " + c.from + "\nCOPY tool /tool\n"
			if c.copyFrom {
				df = "FROM scratch\nCOPY --from=" + c.from + " /platform /platform\n"
			}
			ws := writeWorkspace(t, map[string]string{"Dockerfile": df})
			specs := specsFor(t, ws, "app")
			ref := "slipway-test/on-private-base:" + dockertest.UniqueName(t, "p")
			removeImages(t, cli, ref)
			_, _ = cli.ImageRemove(context.Background(), c.from, image.RemoveOptions{Force: true})
			bb := &Builder{Docker: b.Docker, Log: log, Infof: t.Logf, Login: c.login}
			if c.classic {
				bb.Force = "classic"
			}
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			_, err := bb.Build(ctx, []Request{{Spec: specs[0], Tags: []string{ref}}}, Options{})
			var be *BaseImageError
			switch {
			case c.fail == 0 && err != nil:
				t.Fatalf("build: %v\n%s", err, log)
			case c.fail == 0:
				if code, out := dockertest.Run(t, cli, ref, []string{"/platform"}, "migrate"); code != 0 || !strings.Contains(out, "migrating") {
					t.Errorf("the image does not run its base's program: %d %s", code, out)
				}
			case !errors.As(err, &be) || be.Reason != c.fail || be.Image != c.from:
				t.Fatalf("err = %#v (%v), want a BaseImageError %v for %s", be, err, c.fail, c.from)
			case !strings.Contains(err.Error(), c.from):
				t.Errorf("the error does not name the image: %v", err)
			}
			if err != nil && strings.Contains(err.Error(), "s3cret") {
				t.Errorf("the error holds the password: %v", err)
			}
		})
	}
	if strings.Contains(log.String(), "s3cret") {
		t.Error("the build log holds the password")
	}
}
