package images

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/docker/cli/cli/config"
	"github.com/docker/cli/cli/config/configfile"
	clitypes "github.com/docker/cli/cli/config/types"
	"github.com/docker/docker/api/types/registry"
	"github.com/moby/buildkit/session"
	"github.com/moby/buildkit/session/auth/authprovider"
)

// hubKey is how the docker config names Docker Hub.
const hubKey = "https://index.docker.io/v1/"

// Logins are the registry logins a build presents when its FROM lines pull base images, keyed as
// the docker config keys them (host[:port], Docker Hub as https://index.docker.io/v1/). The docker
// CLI sends the same set to the classic builder, and BuildKit asks for them over the session.
type Logins map[string]registry.AuthConfig

// DockerConfigLogins reads every login of the docker config in dir (its auths, credsStore and
// credHelpers), as `docker build` does; "" or a directory without config.json is no logins.
func DockerConfigLogins(dir string) (Logins, error) {
	l := Logins{}
	if dir == "" {
		return l, nil
	}
	cf, err := config.Load(dir)
	if err != nil {
		return nil, fmt.Errorf("docker config in %s: %w", dir, err)
	}
	all, err := cf.GetAllCredentials()
	if err != nil {
		return nil, fmt.Errorf("docker config in %s: %w", dir, err)
	}
	for key, ac := range all {
		if ac.Username == "" && ac.Password == "" && ac.IdentityToken == "" && ac.RegistryToken == "" {
			continue
		}
		l[key] = registry.AuthConfig{Username: ac.Username, Password: ac.Password, Auth: ac.Auth,
			ServerAddress: key, IdentityToken: ac.IdentityToken, RegistryToken: ac.RegistryToken}
	}
	return l, nil
}

// Has reports whether there is a login for host (host[:port], a URL, or docker.io).
func (l Logins) Has(host string) bool {
	key := loginKey(host)
	for k := range l {
		if loginKey(k) == key {
			return true
		}
	}
	return false
}

// Set makes username and password the login for host (host[:port], a URL, or docker.io), in place
// of any it had.
func (l Logins) Set(host, username, password string) {
	key := loginKey(host)
	for k := range l {
		if loginKey(k) == key {
			delete(l, k)
		}
	}
	l[key] = registry.AuthConfig{Username: username, Password: password, ServerAddress: key}
}

// loginKey is the docker config's key for a registry named in any of its usual forms.
func loginKey(s string) string {
	s = strings.TrimSpace(strings.ToLower(s))
	if u, err := url.Parse(s); err == nil && u.Host != "" {
		s = u.Host
	}
	s, _, _ = strings.Cut(s, "/")
	switch s {
	case "docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com":
		return hubKey
	}
	return s
}

// authProvider answers BuildKit's requests for registry credentials with these logins, through
// BuildKit's own provider (the one buildx uses) over an in-memory docker config.
func (l Logins) authProvider() session.Attachable {
	cf := configfile.New("")
	for k, ac := range l {
		cf.AuthConfigs[k] = clitypes.AuthConfig{Username: ac.Username, Password: ac.Password, Auth: ac.Auth,
			ServerAddress: k, IdentityToken: ac.IdentityToken, RegistryToken: ac.RegistryToken}
	}
	return authprovider.NewDockerAuthProvider(authprovider.DockerAuthProviderConfig{ConfigFile: cf})
}
