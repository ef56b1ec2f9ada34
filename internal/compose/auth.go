package compose

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/distribution/reference"
	"github.com/docker/cli/cli/config"
	"github.com/docker/cli/cli/config/configfile"
	"github.com/docker/docker/api/types/registry"

	"github.com/slipway-actions/slipway/internal/images"
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
	dir    string           // where the docker config is
	given  map[string]Login // registry host → login
}

// NewLogins reads the docker config in dir (DOCKER_CONFIG, or $HOME/.docker; "" for none). A config
// that exists but cannot be read is bad input; a missing one is no logins.
func NewLogins(dir string, given map[string]Login) (*Logins, error) {
	l := &Logins{given: map[string]Login{}, dir: dir}
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
	if l == nil {
		return "", "", nil
	}
	var ac registry.AuthConfig
	source := ""
	if l.config != nil {
		c, err := l.config.GetAuthConfig(host)
		if err != nil {
			return "", "", fmt.Errorf("docker config: the login for %s: %w", host, err)
		}
		if c.Username != "" || c.Password != "" || c.IdentityToken != "" || c.RegistryToken != "" {
			ac = registry.AuthConfig{Username: c.Username, Password: c.Password, Auth: c.Auth,
				IdentityToken: c.IdentityToken, RegistryToken: c.RegistryToken}
			source = "the docker config"
		}
	}
	if g, ok := l.given[RegistryHost(host)]; ok && source == "" {
		ac = registry.AuthConfig{Username: g.Username, Password: g.Password}
		source = "the login given for " + host
	}
	if source == "" {
		return "", "", nil
	}
	ac.ServerAddress = host
	h, err := registry.EncodeAuthConfig(ac)
	return h, source, err
}

// ForBuilds are the same logins for the FROM lines of the services' builds: every login of the
// docker config, and the ones given for registries it lacks.
func (l *Logins) ForBuilds() (images.Logins, error) {
	if l == nil {
		return images.Logins{}, nil
	}
	out, err := images.DockerConfigLogins(l.dir)
	if err != nil {
		return nil, &InputError{err}
	}
	for host, g := range l.given {
		if !out.Has(host) {
			out.Set(host, g.Username, g.Password)
		}
	}
	return out, nil
}
