package ecsdeploy

import (
	"testing"

	"github.com/slipway-actions/slipway/internal/actionkit"
	"github.com/slipway-actions/slipway/internal/actionkit/actiontest"
)

func TestAction_Contract(t *testing.T) {
	t.Parallel()
	actiontest.CheckAction(t, actiontest.ActionSpec{
		Name: "ecs-deploy", YAML: actionYML, Main: Main,
		Parse:     func(k *actionkit.Kit) error { _, err := parseConfig(k); return err },
		BadInputs: map[string]string{"poll-interval": "0s", "migration-container": "api", "keep-revisions": "x", "version": "1.2"},
		WantErrors: []string{
			`input "cluster" is required`,
			`input "services": is required to deploy`,
			`input "poll-interval": must be more than 0`,
			`input "migration-container": migration-container and migration-command go together`,
			`input "keep-revisions": "x" is not a whole number`,
			`input "version": "1.2" is not a release version`,
		},
		Secrets: map[string]string{"github-token": "ghs_secretsecretsecret42"},
	})
}
