// Package testenv holds the one rule for a test that cannot run here: it may skip only because a tool
// or a resource it needs (Docker, a linter, jq, root) is missing, as on a developer's laptop. Under
// SLIPWAY_REQUIRE_ALL=1, which .ci/run sets, every such skip is a failure naming what was missing, so
// a green CI run means every test ran. No test calls t.Skip itself (TestSkips_OnlyThroughTestenv).
package testenv

import (
	"errors"
	"os"
	"testing"
)

// RequireAll is the variable CI sets: every test must run.
const RequireAll = "SLIPWAY_REQUIRE_ALL"

// Require skips the test, or fails it under SLIPWAY_REQUIRE_ALL=1, when err says that what (a tool, a
// server, a privilege) is missing here. A nil err lets the test go on.
func Require(t testing.TB, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if os.Getenv(RequireAll) == "1" {
		t.Fatalf("%s is required (%s=1) but missing: %v", what, RequireAll, err)
	} else {
		t.Skipf("%s is missing, skipping: %v", what, err)
	}
}

// Missing is Require for a test that found out by itself that what is missing: why says how.
func Missing(t testing.TB, what, why string) {
	t.Helper()
	Require(t, what, errors.New(why))
}

// Root is Missing for a test that needs root (slipway runs as root in its container), unless it
// runs as root.
func Root(t testing.TB, why string) {
	t.Helper()
	if os.Geteuid() != 0 {
		Missing(t, "root", why)
	}
}
