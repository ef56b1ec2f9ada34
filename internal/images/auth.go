package images

import (
	"context"
	"fmt"
	"sync"

	"github.com/distribution/reference"
	"github.com/docker/cli/cli/config"
	"github.com/docker/cli/cli/config/configfile"
	clitypes "github.com/docker/cli/cli/config/types"
	"github.com/docker/docker/api/types/registry"
	"github.com/moby/buildkit/session"
	"github.com/moby/buildkit/session/auth"
	"github.com/moby/buildkit/session/auth/authprovider"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// hubKey is how the docker config names Docker Hub.
const hubKey = "https://index.docker.io/v1/"

// LoginFunc finds the login for a registry a FROM line pulls from: host[:port], docker.io for Docker
// Hub. ok is false when there is none (an anonymous pull).
type LoginFunc func(host string) (login registry.AuthConfig, ok bool, err error)

// DockerConfigLogin looks logins up in the docker config in dir (its auths, credsStore and
// credHelpers), as `docker build` does, one registry at a time when a build needs it: a credential
// helper of a registry no FROM line names never runs. "" or a directory without config.json has none.
func DockerConfigLogin(dir string) LoginFunc {
	var (
		once sync.Once
		cf   *configfile.ConfigFile
		err  error
	)
	return func(host string) (registry.AuthConfig, bool, error) {
		if dir == "" {
			return registry.AuthConfig{}, false, nil
		}
		once.Do(func() { cf, err = config.Load(dir) })
		if err != nil {
			return registry.AuthConfig{}, false, fmt.Errorf("docker config in %s: %w", dir, err)
		}
		key := host
		if host == "docker.io" {
			key = hubKey
		}
		ac, gerr := cf.GetAuthConfig(key)
		if gerr != nil {
			return registry.AuthConfig{}, false, fmt.Errorf("docker config in %s: the login for %s: %w", dir, host, gerr)
		}
		if ac.Username == "" && ac.Password == "" && ac.IdentityToken == "" && ac.RegistryToken == "" {
			return registry.AuthConfig{}, false, nil
		}
		return registry.AuthConfig{Username: ac.Username, Password: ac.Password, Auth: ac.Auth,
			IdentityToken: ac.IdentityToken, RegistryToken: ac.RegistryToken}, true, nil
	}
}

// logins are the logins for the registries of the images a classic build pulls (its FROM images and
// cache-from), keyed as the docker config keys them (host[:port], Docker Hub as
// https://index.docker.io/v1/): the classic builder takes them with the request.
func (b *Builder) logins(images []string) (map[string]registry.AuthConfig, error) {
	out := map[string]registry.AuthConfig{}
	if b.Login == nil {
		return out, nil
	}
	for _, img := range images {
		ref, err := reference.ParseNormalizedNamed(img)
		if err != nil {
			continue // the engine will say what is wrong with it
		}
		host := reference.Domain(ref)
		key := host
		if host == "docker.io" {
			key = hubKey
		}
		if _, done := out[key]; done {
			continue
		}
		ac, ok, err := b.Login(host)
		if err != nil {
			return nil, err
		}
		if ok {
			ac.ServerAddress = key
			out[key] = ac
		}
	}
	return out, nil
}

// authProvider answers BuildKit's requests for registry credentials, for whatever the build pulls
// (FROM images, COPY --from images, cache-from, a syntax frontend), through BuildKit's own provider
// (the one buildx uses) over an in-memory docker config that it fills as each registry is asked for,
// from login. It offers no token authority: that would write a seed file into the docker config's
// directory, possibly the workspace; BuildKit then asks for the credentials themselves.
func authProvider(login LoginFunc) session.Attachable {
	cf := configfile.New("")
	p := authprovider.NewDockerAuthProvider(authprovider.DockerAuthProviderConfig{AuthConfigProvider: authprovider.LoadAuthConfig(cf)})
	return &lazyAuth{inner: p.(auth.AuthServer), cf: cf, login: login, asked: map[string]bool{}}
}

// lazyAuth looks a registry's login up the first time BuildKit asks for it. Calls are serialised: the
// provider reads the config's logins while this writes them.
type lazyAuth struct {
	mu    sync.Mutex
	inner auth.AuthServer
	cf    *configfile.ConfigFile
	login LoginFunc
	asked map[string]bool
}

func (a *lazyAuth) Register(s *grpc.Server) { auth.RegisterAuthServer(s, a) }

// ensure puts host's login into the config, once.
func (a *lazyAuth) ensure(host string) error {
	if a.asked[host] || a.login == nil {
		return nil
	}
	a.asked[host] = true
	name, key := host, host
	if host == "registry-1.docker.io" || host == "docker.io" {
		name, key = "docker.io", hubKey
	}
	ac, ok, err := a.login(name)
	if err != nil || !ok {
		return err
	}
	a.cf.AuthConfigs[key] = clitypes.AuthConfig{Username: ac.Username, Password: ac.Password, Auth: ac.Auth,
		ServerAddress: key, IdentityToken: ac.IdentityToken, RegistryToken: ac.RegistryToken}
	return nil
}

func (a *lazyAuth) Credentials(ctx context.Context, req *auth.CredentialsRequest) (*auth.CredentialsResponse, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.ensure(req.Host); err != nil {
		return nil, err
	}
	return a.inner.Credentials(ctx, req)
}

func (a *lazyAuth) FetchToken(ctx context.Context, req *auth.FetchTokenRequest) (*auth.FetchTokenResponse, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.ensure(req.Host); err != nil {
		return nil, err
	}
	return a.inner.FetchToken(ctx, req)
}

func (*lazyAuth) GetTokenAuthority(context.Context, *auth.GetTokenAuthorityRequest) (*auth.GetTokenAuthorityResponse, error) {
	return nil, status.Error(codes.Unavailable, "no token authority")
}

func (*lazyAuth) VerifyTokenAuthority(context.Context, *auth.VerifyTokenAuthorityRequest) (*auth.VerifyTokenAuthorityResponse, error) {
	return nil, status.Error(codes.Unavailable, "no token authority")
}
