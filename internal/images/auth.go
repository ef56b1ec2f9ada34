package images

import (
	"context"
	"sync"

	"github.com/distribution/reference"
	"github.com/docker/cli/cli/config/configfile"
	clitypes "github.com/docker/cli/cli/config/types"
	"github.com/docker/docker/api/types/registry"
	"github.com/moby/buildkit/session"
	"github.com/moby/buildkit/session/auth"
	"github.com/moby/buildkit/session/auth/authprovider"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/slipway-actions/slipway/internal/registryauth"
)

// LoginFunc finds the login for a registry a build pulls from (host[:port], docker.io for Docker
// Hub), as registryauth.Logins.Find does; an anonymous Login for none.
type LoginFunc func(host string) (registryauth.Login, error)

// logins are the logins for the registries of the images a classic build pulls (its FROM images and
// cache-from), keyed as the docker config keys them (registryauth.ConfigKey): the classic builder
// takes them with the request.
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
		key := registryauth.ConfigKey(host)
		if _, done := out[key]; done {
			continue
		}
		l, err := b.Login(host)
		if err != nil {
			return nil, err
		}
		if !l.Anonymous() {
			l.ServerAddress = key
			out[key] = l.AuthConfig
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

// ensure puts the login of the registry BuildKit names (registry-1.docker.io for Docker Hub) into
// the config, once, under the key BuildKit's provider looks it up by.
func (a *lazyAuth) ensure(requested string) error {
	host := registryauth.Host(requested)
	if a.asked[host] || a.login == nil {
		return nil
	}
	a.asked[host] = true
	l, err := a.login(host)
	if err != nil || l.Anonymous() {
		return err
	}
	key := registryauth.ConfigKey(host)
	a.cf.AuthConfigs[key] = clitypes.AuthConfig{Username: l.Username, Password: l.Password, Auth: l.Auth,
		ServerAddress: key, IdentityToken: l.IdentityToken, RegistryToken: l.RegistryToken}
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
