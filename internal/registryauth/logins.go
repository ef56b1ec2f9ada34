package registryauth

import (
	"fmt"

	"github.com/docker/cli/cli/config"
	"github.com/docker/cli/cli/config/configfile"
	"github.com/docker/docker/api/types/registry"
)

// Credentials are a user name and password (or token) an action is given for a registry.
type Credentials struct {
	Username, Password string
}

// Sources are where Logins looks, in this order: Given, the docker config in Dir, Fallback. The
// maps are keyed by registry in any form Host reads.
type Sources struct {
	Given    map[string]Credentials // an action's login inputs: they win over the docker config
	Dir      string                 // the docker config's directory (DOCKER_CONFIG, else $HOME/.docker); "" for none
	Fallback map[string]Credentials // for a registry the docker config has no login for
}

// Login is the login for one registry and where it was found.
type Login struct {
	registry.AuthConfig
	Source string // "the docker config", "the login given for ghcr.io"; "" for none: anonymous
}

// Anonymous reports whether there is no login: the registry is tried without one.
func (l Login) Anonymous() bool { return l.Source == "" }

// Logins finds the login for each registry from its Sources.
type Logins struct {
	dir             string
	config          *configfile.ConfigFile // nil when no directory was given
	given, fallback map[string]Credentials // keyed by Host
}

// Open reads the docker config of s.Dir up front, so that one that cannot be read is bad input
// before anything runs; its credential helpers run only when a registry's login is looked up.
func Open(s Sources) (*Logins, error) {
	l := &Logins{dir: s.Dir, given: byHost(s.Given), fallback: byHost(s.Fallback)}
	if s.Dir == "" {
		return l, nil
	}
	cf, err := config.Load(s.Dir) // a directory without config.json is an empty config
	if err != nil {
		return nil, fmt.Errorf("docker config in %s: %w", s.Dir, err)
	}
	l.config = cf
	return l, nil
}

// byHost keys logins by Host, leaving out empty ones: an empty login is no login.
func byHost(m map[string]Credentials) map[string]Credentials {
	out := map[string]Credentials{}
	for k, c := range m {
		if c != (Credentials{}) {
			out[Host(k)] = c
		}
	}
	return out
}

// Dir is the directory the docker config was looked for in, for advice; "" when none was given.
func (l *Logins) Dir() string {
	if l == nil {
		return ""
	}
	return l.dir
}

// Find is the login for a registry (host[:port], or any form Host reads), its ServerAddress set to
// the registry's ConfigKey. A nil Logins has none.
func (l *Logins) Find(host string) (Login, error) {
	if l == nil {
		return Login{}, nil
	}
	h := Host(host)
	login, err := l.find(h)
	if !login.Anonymous() {
		login.ServerAddress = ConfigKey(h) // as the docker CLI sends it: the key it keeps the login under
	}
	return login, err
}

func (l *Logins) find(h string) (Login, error) {
	if c, ok := l.given[h]; ok {
		return given(c, h), nil
	}
	if login, err := l.fromConfig(h); err != nil || !login.Anonymous() {
		return login, err
	}
	if c, ok := l.fallback[h]; ok {
		return given(c, h), nil
	}
	return Login{}, nil
}

func given(c Credentials, host string) Login {
	return Login{AuthConfig: registry.AuthConfig{Username: c.Username, Password: c.Password}, Source: "the login given for " + host}
}

// fromConfig asks the docker config, as the docker CLI does: the credential helper for the
// registry, else credsStore, else auths.
func (l *Logins) fromConfig(host string) (Login, error) {
	if l.config == nil {
		return Login{}, nil
	}
	ac, err := l.config.GetAuthConfig(ConfigKey(host))
	if err != nil {
		return Login{}, fmt.Errorf("docker config in %s: the login for %s: %w", l.dir, host, err)
	}
	if ac.Username == "" && ac.Password == "" && ac.IdentityToken == "" && ac.RegistryToken == "" {
		return Login{}, nil // GetAuthConfig answers an empty entry, never "not found"
	}
	return Login{Source: "the docker config", AuthConfig: registry.AuthConfig{Username: ac.Username, Password: ac.Password,
		IdentityToken: ac.IdentityToken, RegistryToken: ac.RegistryToken}}, nil
}
