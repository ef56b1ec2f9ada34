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

func TestDockerLogin_ReadsTheGivenDirectoryAsTheDockerCLIDoes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeDockerConfig(t, dir, map[string]string{
		"127.0.0.1:5000":              "bot:s3cret",
		"https://index.docker.io/v1/": "hubuser:hubtoken",
	})
	for _, tc := range []struct {
		dir, registry  string
		found          bool
		user, password string
	}{
		{dir, "127.0.0.1:5000", true, "bot", "s3cret"},
		{dir, "docker.io/acme", true, "hubuser", "hubtoken"},
		{dir, "ghcr.io/acme", false, "", ""},
		{t.TempDir(), "127.0.0.1:5000", false, "", ""}, // no config.json
		{"", "127.0.0.1:5000", false, "", ""},          // no directory
	} {
		r, err := Parse(tc.registry)
		if err != nil {
			t.Fatal(err)
		}
		cfg, found, err := dockerLogin(tc.dir, r)
		if err != nil || found != tc.found || cfg.Username != tc.user || cfg.Password != tc.password {
			t.Errorf("dockerLogin(%q, %s) = %q/%q found %v, %v; want %q/%q found %v", tc.dir, tc.registry,
				cfg.Username, cfg.Password, found, err, tc.user, tc.password, tc.found)
		}
	}
}

func TestDockerLogin_BrokenConfigIsAnError(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	r, _ := Parse("127.0.0.1:5000")
	if _, _, err := dockerLogin(dir, r); err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "config.json")) {
		t.Errorf("err = %v, want one naming the file", err)
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
	p.DockerConfig = t.TempDir()
	writeDockerConfig(t, p.DockerConfig, map[string]string{"ghcr.io": "other:login"})
	_, err := p.Check(context.Background(), []Image{{Name: "api", ID: id, Tags: []string{"1"}}}, []Registry{mustParse(t, locked.Host)})
	var nc *NoCredentialsError
	if !errors.As(err, &nc) || nc.Registry.Host != locked.Host || nc.ConfigDir != p.DockerConfig {
		t.Fatalf("err = %#v, want a NoCredentialsError for %s", err, locked.Host)
	}
	if want := filepath.Join(p.DockerConfig, "config.json") + " has no login for it"; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q lacks %q", err, want)
	}

	// With the login written there, the same check passes.
	writeDockerConfig(t, p.DockerConfig, map[string]string{locked.Host: "ci:right-password"})
	if _, err := p.Check(context.Background(), []Image{{Name: "api", ID: id, Tags: []string{"1"}}}, []Registry{mustParse(t, locked.Host)}); err != nil {
		t.Errorf("with the login: %v", err)
	}
}
