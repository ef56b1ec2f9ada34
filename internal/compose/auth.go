package compose

import (
	"github.com/distribution/reference"
	"github.com/docker/docker/api/types/registry"

	"github.com/slipway-actions/slipway/internal/registryauth"
)

// imageRegistry is the registry an image reference pulls from.
func imageRegistry(image string) (string, error) {
	named, err := reference.ParseNormalizedNamed(image)
	if err != nil {
		return "", err
	}
	return reference.Domain(named), nil
}

// pullAuth returns the engine's X-Registry-Auth for pulling from host, and where the login came
// from ("" when there is none: an anonymous pull, without the header).
func pullAuth(logins *registryauth.Logins, host string) (string, string, error) {
	l, err := logins.Find(host)
	if err != nil || l.Anonymous() {
		return "", "", err
	}
	h, err := registry.EncodeAuthConfig(l.AuthConfig)
	return h, l.Source, err
}
