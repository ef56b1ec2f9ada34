package registry

import (
	"context"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/slipway-actions/slipway/internal/dockertest"
	"github.com/slipway-actions/slipway/internal/registry/registrytest"
	"github.com/slipway-actions/slipway/internal/registryauth"
)

// writeDockerConfig writes config.json as `docker login` (and so docker/login-action) does.
func writeDockerConfig(t *testing.T, dir string, logins map[string]string) {
	t.Helper()
	var entries []string
	for server, userPass := range logins {
		entries = append(entries, `"`+server+`":{"auth":"`+base64.StdEncoding.EncodeToString([]byte(userPass))+`"}`)
	}
	data := `{"auths":{` + strings.Join(entries, ",") + `}}`
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}

// A registry that wants a login, where none was found, is a NoCredentialsError naming where the docker
// config was looked for; nothing is pushed.
func TestCheck_NoCredentialsSaysWhereTheDockerConfigWasLookedFor(t *testing.T) {
	t.Parallel()
	cli := dockertest.Client(t)
	locked := registrytest.Start(t, registrytest.Options{User: "ci", Password: "right-password"})
	id := testImage(t, cli, 1024)
	p := newPublisher(t, cli)
	dir := t.TempDir()
	writeDockerConfig(t, dir, map[string]string{"ghcr.io": "other:login"})
	p.Logins = openLogins(t, dir, registryauth.Credentials{})
	_, err := p.Check(context.Background(), []Image{{Name: "api", ID: id, Tags: []string{"1"}}}, []Registry{mustParse(t, locked.Host)})
	var nc *NoCredentialsError
	if !errors.As(err, &nc) || nc.Registry.Host != locked.Host || nc.ConfigDir != dir {
		t.Fatalf("err = %#v, want a NoCredentialsError for %s", err, locked.Host)
	}
	if want := filepath.Join(dir, "config.json") + " has no login for it"; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q lacks %q", err, want)
	}

	// With the login written there, the same check passes.
	writeDockerConfig(t, dir, map[string]string{locked.Host: "ci:right-password"})
	p.Logins = openLogins(t, dir, registryauth.Credentials{})
	if _, err := p.Check(context.Background(), []Image{{Name: "api", ID: id, Tags: []string{"1"}}}, []Registry{mustParse(t, locked.Host)}); err != nil {
		t.Errorf("with the login: %v", err)
	}
}
