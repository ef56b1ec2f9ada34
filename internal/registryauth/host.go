package registryauth

import (
	"net/url"
	"slices"
	"strings"
)

// DockerHub is how Host names Docker Hub.
const DockerHub = "docker.io"

// hubKey is the key `docker login` writes Docker Hub's login under, and the one the engine looks
// it up by in a build's X-Registry-Config (the docker CLI's configfile.authConfigKey, Moby's
// registry.IndexServer).
const hubKey = "https://index.docker.io/v1/"

// hubAliases are the other names Docker Hub goes by: the index (docker login's default), the
// registry host BuildKit and the engine talk to, and the web host some users copy.
var hubAliases = []string{"index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"}

// Host names a registry as logins are keyed: host[:port] in lower case, without a scheme or path
// (a URL such as https://ghcr.io/ is accepted, as `docker login` accepts it), docker.io for Docker
// Hub under any of its names, and for "" (a registry input left at its default).
func Host(s string) string {
	s = strings.TrimSpace(strings.ToLower(s))
	if u, err := url.Parse(s); err == nil && u.Host != "" {
		s = u.Host
	}
	s, _, _ = strings.Cut(s, "/")
	if s == "" || s == DockerHub || slices.Contains(hubAliases, s) {
		return DockerHub
	}
	return s
}

// ConfigKey is the key the docker config keeps a registry's login under and the engine names it
// by: https://index.docker.io/v1/ for Docker Hub, Host otherwise.
func ConfigKey(host string) string {
	h := Host(host)
	if h == DockerHub {
		return hubKey
	}
	return h
}
