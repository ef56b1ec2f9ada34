package registry

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"

	dockerregistry "github.com/docker/docker/api/types/registry"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/aws/aws-sdk-go-v2/service/ecr"

	"github.com/slipway-actions/slipway/internal/registryauth"
)

// session is a logged-in registry: how go-containerregistry and the engine authenticate to it.
type session struct {
	reg       Registry
	auth      authn.Authenticator
	engine    string // the engine's X-Registry-Auth header
	anonymous bool   // no credentials were found: a refusal then means "log in", not "wrong password"
	configDir string // the docker config looked in, for the advice
}

// login gets credentials for a registry: an ECR token through the AWS SDK's credential chain, else
// the login Logins finds (the username/password inputs, the docker config that docker/login-action
// writes); without any the registry is tried anonymously.
func (p *Publisher) login(ctx context.Context, r Registry) (*session, error) {
	var l registryauth.Login
	var err error
	if r.Kind == ECR {
		l, err = p.ecrLogin(ctx, r)
	} else {
		l, err = p.Logins.Find(r.Host)
		if err != nil {
			err = fmt.Errorf("log in to %s: %w", r.Host, err)
		}
	}
	if err != nil {
		return nil, err
	}
	engine, err := dockerregistry.EncodeAuthConfig(dockerregistry.AuthConfig{
		Username: l.Username, Password: l.Password, IdentityToken: l.IdentityToken,
		RegistryToken: l.RegistryToken, ServerAddress: registryauth.ConfigKey(r.Host),
	})
	if err != nil {
		return nil, err
	}
	a := authn.Anonymous
	if !l.Anonymous() {
		a = authn.FromConfig(authn.AuthConfig{Username: l.Username, Password: l.Password,
			IdentityToken: l.IdentityToken, RegistryToken: l.RegistryToken})
	}
	return &session{reg: r, auth: a, engine: engine, anonymous: l.Anonymous(), configDir: p.Logins.Dir()}, nil
}

// ecrLogin gets an ECR registry's token through the AWS SDK's credential chain.
func (p *Publisher) ecrLogin(ctx context.Context, r Registry) (registryauth.Login, error) {
	api, err := p.ecr(r)
	if err != nil {
		return registryauth.Login{}, err
	}
	out, err := api.GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
	if err != nil {
		return registryauth.Login{}, awsRefusal(fmt.Errorf("log in to %s: GetAuthorizationToken: %w", r.Host, err),
			"run aws-actions/configure-aws-credentials first (OIDC: permissions id-token: write) and allow ecr:GetAuthorizationToken")
	}
	if len(out.AuthorizationData) == 0 || out.AuthorizationData[0].AuthorizationToken == nil {
		return registryauth.Login{}, fmt.Errorf("log in to %s: ECR returned no token", r.Host)
	}
	raw, err := base64.StdEncoding.DecodeString(*out.AuthorizationData[0].AuthorizationToken)
	if err != nil {
		return registryauth.Login{}, fmt.Errorf("log in to %s: ECR token: %w", r.Host, err)
	}
	user, pass, ok := strings.Cut(string(raw), ":")
	if !ok {
		return registryauth.Login{}, fmt.Errorf("log in to %s: ECR token is not user:password", r.Host)
	}
	p.mask(pass)
	return registryauth.Login{AuthConfig: dockerregistry.AuthConfig{Username: user, Password: pass}, Source: "ECR"}, nil
}

// oneKeychain answers every resource with one authenticator.
type oneKeychain struct{ a authn.Authenticator }

func (k oneKeychain) Resolve(authn.Resource) (authn.Authenticator, error) { return k.a, nil }

// checkPush asks the registry to start (and then cancels) a blob upload to repo: the one check
// that proves the credentials may push there, before anything is pushed.
func (p *Publisher) checkPush(ctx context.Context, s *session, repo string) error {
	ref, err := name.NewTag(repo + ":slipway-check")
	if err != nil {
		return err
	}
	_ = ctx // CheckPushPermission takes no context; the transport's timeout bounds it
	if err := remote.CheckPushPermission(ref, oneKeychain{s.auth}, p.transport()); err != nil {
		return describe(s, repo, err)
	}
	return nil
}

// NoCredentialsError is a registry that asked for credentials (401) where slipway had none: no
// username/password, and no login in the docker config.
type NoCredentialsError struct {
	Registry   Registry
	Repository string
	ConfigDir  string // where the docker config was looked for; "" when nowhere
}

func (e *NoCredentialsError) Error() string {
	where := "no docker config was given"
	if e.ConfigDir != "" {
		where = filepath.Join(e.ConfigDir, "config.json") + " has no login for it"
	}
	return fmt.Sprintf("%s: registry said 401 Unauthorized for %s, and there were no credentials for it: no \"username\" and \"password\", and %s", e.Registry.Host, e.Repository, where)
}

// describe turns a registry's answer into advice that names the registry and never a password. A
// refusal (a 4xx other than 408 and 429) is a *RefusedError or a *NoCredentialsError; no answer, or
// a 5xx after the retries, is not.
func describe(s *session, repo string, err error) error {
	r := s.reg
	var te *transport.Error
	if !errors.As(err, &te) {
		return fmt.Errorf("%s: %w", r.Host, err)
	}
	switch te.StatusCode {
	case http.StatusUnauthorized:
		if s.anonymous {
			return &NoCredentialsError{Registry: r, Repository: repo, ConfigDir: s.configDir}
		}
		what := `"username" and "password"`
		if r.Kind == ECR {
			what = "the AWS role (ecr:InitiateLayerUpload, ecr:PutImage …)"
		}
		return &RefusedError{fmt.Errorf("%s: registry said 401 Unauthorized for %s — check that %s can push there", r.Host, repo, what)}
	case http.StatusForbidden:
		return &RefusedError{fmt.Errorf("%s: registry said 403 Forbidden for %s — the credentials are valid but may not push to it", r.Host, repo)}
	case http.StatusNotFound:
		return &RefusedError{fmt.Errorf("%s: registry said 404 for %s — does the repository exist?", r.Host, repo)}
	}
	if refusedStatus(te.StatusCode) {
		return &RefusedError{fmt.Errorf("%s: %w", r.Host, err)}
	}
	return fmt.Errorf("%s: %w", r.Host, err)
}

func (p *Publisher) transport() http.RoundTripper {
	if p.Transport != nil {
		return p.Transport
	}
	return remote.DefaultTransport
}
