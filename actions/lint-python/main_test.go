package lintpython

import (
	"testing"

	"github.com/slipway-actions/slipway/internal/actionkit"
	"github.com/slipway-actions/slipway/internal/actionkit/actiontest"
)

func TestAction_Contract(t *testing.T) {
	t.Parallel()
	actiontest.CheckAction(t, actiontest.ActionSpec{
		Name: "lint-python", YAML: actionYML, Main: Main,
		Parse:     func(k *actionkit.Kit) error { _, err := parseConfig(k); return err },
		BadInputs: map[string]string{"fail-on": "sometimes", "jobs": "-1", "suggest-fixes": "true"},
		WantErrors: []string{
			`input "fail-on": "sometimes" is not one of error, warning, never`,
			`input "jobs": -1 is out of range`,
			`input "suggest-fixes": needs github-token`,
		},
	})
}
