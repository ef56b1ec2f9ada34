package registryauth

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeConfig writes config.json into a new directory, its auths as `docker login` writes them.
func writeConfig(t *testing.T, auths map[string]string, extra string) string {
	t.Helper()
	dir := t.TempDir()
	var entries []string
	for server, userPass := range auths {
		auth := ""
		if userPass != "" {
			auth = base64.StdEncoding.EncodeToString([]byte(userPass))
		}
		entries = append(entries, `"`+server+`":{"auth":"`+auth+`"}`)
	}
	data := `{"auths":{` + strings.Join(entries, ",") + `}` + extra + `}`
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// Logins are found as docker login writes them (Docker Hub under https://index.docker.io/v1/, other
// registries by host), in one order: the logins given win over the docker config, which wins over
// the fallbacks; what none of them has is anonymous.
func TestFind_GivenThenTheDockerConfigThenTheFallback(t *testing.T) {
	t.Parallel()
	dir := writeConfig(t, map[string]string{
		"https://index.docker.io/v1/": "hubuser:hub-pw",
		"ghcr.io":                     "gh:gh-pw",
		"quay.io":                     "quay:quay-pw",
		"empty.example":               "",
	}, "")
	l, err := Open(Sources{
		Dir:      dir,
		Given:    map[string]Credentials{"quay.io": {"bot", "given-pw"}, "skipped.example": {}},
		Fallback: map[string]Credentials{"https://reg.example:5000/": {"ci", "fallback-pw"}, "ghcr.io": {"other", "x"}, "empty.example": {"e", "e-pw"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		host, user, password, source, server string
	}{
		{"docker.io", "hubuser", "hub-pw", "the docker config", "https://index.docker.io/v1/"},
		{"registry-1.docker.io", "hubuser", "hub-pw", "the docker config", "https://index.docker.io/v1/"},
		{"ghcr.io", "gh", "gh-pw", "the docker config", "ghcr.io"},
		{"quay.io", "bot", "given-pw", "the login given for quay.io", "quay.io"},
		{"reg.example:5000", "ci", "fallback-pw", "the login given for reg.example:5000", "reg.example:5000"},
		{"empty.example", "e", "e-pw", "the login given for empty.example", "empty.example"}, // an empty entry is no login
		{"skipped.example", "", "", "", ""},                                                  // nor is an empty login given
		{"public.example", "", "", "", ""},
	} {
		got, err := l.Find(c.host)
		if err != nil || got.Username != c.user || got.Password != c.password || got.Source != c.source ||
			got.ServerAddress != c.server || got.Anonymous() != (c.source == "") {
			t.Errorf("Find(%s) = %+v, %v; want %s/%s from %q at %q", c.host, got, err, c.user, c.password, c.source, c.server)
		}
	}
}

// No docker config directory, or one without config.json, is no login: anonymous, not an error.
func TestFind_NoDockerConfigIsAnonymous(t *testing.T) {
	t.Parallel()
	for name, l := range map[string]func() (*Logins, error){
		"no directory":        func() (*Logins, error) { return Open(Sources{}) },
		"no config.json":      func() (*Logins, error) { return Open(Sources{Dir: t.TempDir()}) },
		"a directory missing": func() (*Logins, error) { return Open(Sources{Dir: filepath.Join(t.TempDir(), "nowhere")}) },
		"nil Logins":          func() (*Logins, error) { return nil, nil },
	} {
		logins, err := l()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got, err := logins.Find("127.0.0.1:5000")
		if err != nil || !got.Anonymous() || got.AuthConfig.Username != "" {
			t.Errorf("%s: Find = %+v, %v; want anonymous", name, got, err)
		}
	}
}

// A config.json that cannot be parsed is an error naming the file, at Open: never anonymous.
func TestOpen_BrokenConfigIsAnErrorNamingTheFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(Sources{Dir: dir}); err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "config.json")) {
		t.Errorf("err = %v, want one naming the file", err)
	}
}

// Credential helpers answer as the docker CLI asks them (docker-credential-<name> get, the server on
// stdin), only for the registry looked up: the helper of another registry never runs. A helper
// that fails is an error, not an anonymous pull.
func TestFind_AsksTheCredentialHelperOfThatRegistryOnly(t *testing.T) {
	bin := t.TempDir()
	ran := filepath.Join(t.TempDir(), "ran")
	helper := func(name, body string) {
		script := "#!/bin/sh\n[ \"$1\" = get ] || exit 1\nread server\necho \"$server\" >> " + ran + "\n" + body
		if err := os.WriteFile(filepath.Join(bin, "docker-credential-"+name), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	helper("store", `echo "{\"ServerURL\":\"$server\",\"Username\":\"store-user\",\"Secret\":\"store-pw\"}"`)
	helper("ghcr", `echo '{"ServerURL":"ghcr.io","Username":"gh-helper","Secret":"gh-helper-pw"}'`)
	helper("broken", "echo 'the keychain is locked'; exit 1")
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	dir := writeConfig(t, nil, `,"credsStore":"store","credHelpers":{"ghcr.io":"ghcr","broken.example":"broken"}`)
	l, err := Open(Sources{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	got, err := l.Find("ghcr.io")
	if err != nil || got.Username != "gh-helper" || got.Password != "gh-helper-pw" || got.Source != "the docker config" {
		t.Errorf("Find(ghcr.io) = %+v, %v", got, err)
	}
	got, err = l.Find("docker.io")
	if err != nil || got.Username != "store-user" || got.Password != "store-pw" {
		t.Errorf("Find(docker.io) = %+v, %v", got, err)
	}
	asked, err := os.ReadFile(ran)
	if err != nil {
		t.Fatal(err)
	}
	if want := "ghcr.io\nhttps://index.docker.io/v1/\n"; string(asked) != want {
		t.Errorf("the helpers were asked for %q, want %q", asked, want)
	}
	if got, err := l.Find("broken.example"); err == nil || !got.Anonymous() || !strings.Contains(err.Error(), "broken.example") {
		t.Errorf("Find(broken.example) = %+v, %v; want an error naming the registry", got, err)
	}
}
