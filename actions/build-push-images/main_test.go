package buildpushimages

import (
	"testing"

	"github.com/slipway-actions/slipway/internal/actionkit"
	"github.com/slipway-actions/slipway/internal/actionkit/actiontest"
)

func TestAction_Contract(t *testing.T) {
	t.Parallel()
	actiontest.CheckAction(t, actiontest.ActionSpec{
		Name: "build-push-images", YAML: actionYML, Main: Main,
		Parse:     func(k *actionkit.Kit) error { _, err := parseConfig(k); return err },
		BadInputs: map[string]string{"push": "true", "create-repositories": "perhaps", "username": "bot"},
		WantErrors: []string{
			`input "images" is required`,
			`input "registries": is required when push is true`,
			`input "create-repositories": "perhaps" is not a boolean`,
		},
		Secrets: map[string]string{"github-token": "ghp_abcdefghijklmnop0123456789", "secrets": "npm=npm-token-987654321"},
	})
}
