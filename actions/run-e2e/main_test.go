package rune2e

import (
	"testing"

	"github.com/slipway-actions/slipway/internal/actionkit"
	"github.com/slipway-actions/slipway/internal/actionkit/actiontest"
)

func TestAction_Contract(t *testing.T) {
	t.Parallel()
	actiontest.CheckAction(t, actiontest.ActionSpec{
		Name: "run-e2e", YAML: actionYML, Main: Main,
		Parse:     func(k *actionkit.Kit) error { _, err := parseConfig(k); return err },
		BadInputs: map[string]string{"timeout": "soon", "base-url": "ftp://x", "logs-tail": "0"},
		WantErrors: []string{
			`input "test-service" is required`,
			`input "timeout": "soon" is not a duration`,
			`input "base-url": "ftp://x" is not an http(s) URL`,
			`input "logs-tail": 0 is out of range`,
		},
	})
}
