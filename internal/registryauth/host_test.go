package registryauth

import "testing"

func TestHost_NamesDockerHubByAnyOfItsNames(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"":                            "docker.io",
		"docker.io":                   "docker.io",
		"index.docker.io":             "docker.io",
		"registry-1.docker.io":        "docker.io",
		"registry.hub.docker.com":     "docker.io",
		"https://index.docker.io/v1/": "docker.io",
		" Docker.IO ":                 "docker.io",
		"ghcr.io":                     "ghcr.io",
		"GHCR.io/acme":                "ghcr.io",
		"https://reg.example:5000/":   "reg.example:5000",
		"127.0.0.1:5000":              "127.0.0.1:5000",
		"localhost:5000/team/app":     "localhost:5000",
		"docker.io.example.com":       "docker.io.example.com",
		"123456789012.dkr.ecr.eu-west-2.amazonaws.com": "123456789012.dkr.ecr.eu-west-2.amazonaws.com",
	} {
		if got := Host(in); got != want {
			t.Errorf("Host(%q) = %q, want %q", in, got, want)
		}
	}
}

// The docker config keeps Docker Hub's login under the index URL, as `docker login` writes it, and
// every other registry's under its host.
func TestConfigKey_IsWhereDockerLoginWritesTheLogin(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"docker.io":            "https://index.docker.io/v1/",
		"registry-1.docker.io": "https://index.docker.io/v1/",
		"ghcr.io":              "ghcr.io",
		"https://ghcr.io/":     "ghcr.io",
		"127.0.0.1:5000":       "127.0.0.1:5000",
	} {
		if got := ConfigKey(in); got != want {
			t.Errorf("ConfigKey(%q) = %q, want %q", in, got, want)
		}
	}
}
