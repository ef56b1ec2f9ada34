package compose

import "github.com/docker/compose/v5/pkg/api"

// composeVersion is the version of the github.com/docker/compose/v5 module go.mod requires
// (TestComposeVersion_IsGoMods keeps them equal). Compose stamps its release version into its
// binaries at build time (its internal.Version); the containers it makes carry it in the
// com.docker.compose.version label, so run-e2e, which links that module, says it too, as `docker
// compose` of that version does.
const composeVersion = "5.6.0"

func init() {
	if api.ComposeVersion == "" {
		api.ComposeVersion = composeVersion
	}
}
