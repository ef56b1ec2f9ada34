package flagrollout

import (
	"testing"

	"github.com/slipway-actions/slipway/internal/actionkit"
	"github.com/slipway-actions/slipway/internal/actionkit/actiontest"
)

func TestAction_Contract(t *testing.T) {
	t.Parallel()
	actiontest.CheckAction(t, actiontest.ActionSpec{
		Name: "flag-rollout", YAML: actionYML, Main: Main,
		Parse: func(k *actionkit.Kit) error { _, err := parseConfig(k); return err },
		BadInputs: map[string]string{"percentage": "101", "steps": "10,5", "finalize": "true", "rollback": "true",
			"project": "web", "environment": "prod", "feature": "new-checkout"},
		WantErrors: []string{
			`input "percentage": "101" is not a whole number from 0 to 100`,
			`input "steps": must increase (5 comes after 10)`,
			`input "rollback": finalize and rollback cannot both be true`,
		},
		Secrets: map[string]string{"api-key": "ser.FlagsmithOrgKey0123456789"},
	})
}
