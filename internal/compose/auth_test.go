package compose

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"testing"
)

// Logins are found as docker login writes them: Docker Hub under https://index.docker.io/v1/, other
// registries by host; the one given serves a registry the config has no login for, and the config
// wins where it has one.
func TestLogins_FoundAsDockerLoginWritesThem(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	auth := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	cfg := `{"auths":{"https://index.docker.io/v1/":{"auth":"` + auth("hubuser:hub-pw") + `"},"ghcr.io":{"auth":"` + auth("gh:gh-pw") + `"}}}`
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := NewLogins(dir, map[string]Login{"https://reg.example:5000/": {"ci", "given-pw"}, "ghcr.io": {"other", "x"}})
	if err != nil {
		t.Fatal(err)
	}
	for host, want := range map[string]string{"docker.io": "hubuser", "ghcr.io": "gh", "reg.example:5000": "ci", "quay.io": ""} {
		ac, ok, err := l.Login(host)
		if err != nil || ok != (want != "") || ac.Username != want {
			t.Errorf("Login(%s) = %q, %v, %v; want %q", host, ac.Username, ok, err, want)
		}
	}
}
