package compose

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/distribution/reference"
	"github.com/docker/cli/cli/config"
	"github.com/docker/cli/cli/config/configfile"
	"github.com/docker/docker/api/types/registry"
)

// Login is a user name and password (or token) for one registry.
type Login struct {
	Username, Password string
}

// Logins are the registry credentials pulls present, as `docker compose pull` finds them: the docker
// config (config.json and its credential helpers, which docker/login-action writes), and, for a
// registry the config has no login for, the one given.
type Logins struct {
	config *configfile.ConfigFile
	given  map[string]Login // registry host → login
}

// NewLogins reads the docker config in dir (DOCKER_CONFIG, or $HOME/.docker; "" for none). A config
// that exists but cannot be read is bad input; a missing one is no logins.
func NewLogins(dir string, given map[string]Login) (*Logins, error) {
	l := &Logins{given: map[string]Login{}}
	for host, login := range given {
		l.given[RegistryHost(host)] = login
	}
	if dir == "" {
		return l, nil
	}
	cf, err := config.Load(dir)
	if err != nil {
		return nil, &InputError{fmt.Errorf("docker config in %s: %w", dir, err)}
	}
	l.config = cf
	return l, nil
}

// RegistryHost is how a registry is named for a login: its host[:port], docker.io for Docker Hub
// whichever of its names is used.
func RegistryHost(s string) string {
	s = strings.TrimSpace(strings.ToLower(s))
	if u, err := url.Parse(s); err == nil && u.Host != "" {
		s = u.Host
	}
	s, _, _ = strings.Cut(s, "/")
	switch s {
	case "", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com":
		return "docker.io"
	}
	return s
}

// imageRegistry is the registry an image reference pulls from.
func imageRegistry(image string) (string, error) {
	named, err := reference.ParseNormalizedNamed(image)
	if err != nil {
		return "", err
	}
	return reference.Domain(named), nil
}

// header returns the engine's X-Registry-Auth for pulling from host, and where the login came from
// ("" when there is none: an anonymous pull).
func (l *Logins) header(host string) (string, string, error) {
	ac, source, err := l.find(host)
	if err != nil || source == "" {
		return "", "", err
	}
	ac.ServerAddress = host
	h, err := registry.EncodeAuthConfig(ac)
	return h, source, err
}

// find looks up the login for host and says where it came from ("" for none).
func (l *Logins) find(host string) (registry.AuthConfig, string, error) {
	if l == nil {
		return registry.AuthConfig{}, "", nil
	}
	if l.config != nil {
		key := host
		if key == "docker.io" {
			key = "https://index.docker.io/v1/" // as docker login writes Docker Hub's login
		}
		c, err := l.config.GetAuthConfig(key)
		if err != nil {
			return registry.AuthConfig{}, "", fmt.Errorf("docker config: the login for %s: %w", host, err)
		}
		if c.Username != "" || c.Password != "" || c.IdentityToken != "" || c.RegistryToken != "" {
			return registry.AuthConfig{Username: c.Username, Password: c.Password, Auth: c.Auth,
				IdentityToken: c.IdentityToken, RegistryToken: c.RegistryToken}, "the docker config", nil
		}
	}
	if g, ok := l.given[RegistryHost(host)]; ok {
		return registry.AuthConfig{Username: g.Username, Password: g.Password}, "the login given for " + host, nil
	}
	return registry.AuthConfig{}, "", nil
}

// Login is the login for a registry host, where pulls find it: the docker config, else the one
// given for that registry. ok is false for none. The same logins serve the builds' FROM lines.
func (l *Logins) Login(host string) (login registry.AuthConfig, ok bool, err error) {
	ac, _, err := l.find(host)
	return ac, err == nil && ac != (registry.AuthConfig{}), err
}
