package flagrollout

import (
	"testing"

	"github.com/slipway-actions/slipway/internal/actionkit"
	"github.com/slipway-actions/slipway/internal/actionkit/actiontest"
	"github.com/slipway-actions/slipway/internal/flagsmith/flagsmithtest"
	"github.com/slipway-actions/slipway/internal/sandbox/sandboxtest"
)

// contractKey is the Organisation API key of the contract's runs: '/', '+' and '=' make its URL,
// JSON and base64 forms differ from it.
const contractKey = "ser.Flagsmith/Org+Key=0123456789"

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
		Secrets: map[string]string{"api-key": contractKey},
		// A Flagsmith that takes the key, with a feature to roll out to 10%.
		Fakes: func(t *testing.T, r *actiontest.Runner, fakes *actiontest.Fakes) map[string]string {
			f := flagsmithtest.New(t)
			f.Key = contractKey
			p := f.AddProject("web")
			f.AddEnvironment(p, "Production", "prodKey", false)
			f.AddFeature(p, "new-checkout", false)
			r.Env["GITHUB_WORKSPACE"] = sandboxtest.Dir(t)
			r.Input("api-url", fakes.HTTP(t, "the fake Flagsmith", f.URL))
			return map[string]string{"project": "web", "environment": "Production", "feature": "new-checkout", "percentage": "10"}
		},
	})
}
