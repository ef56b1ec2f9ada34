package dockertest

import (
	"errors"
	"fmt"
	"testing"
)

// recorder is a testing.TB that records a skip or a failure instead of ending the test.
type recorder struct {
	testing.TB
	skipped, failed bool
}

func (r *recorder) Helper()               {}
func (r *recorder) Skipf(string, ...any)  { r.skipped = true }
func (r *recorder) Fatalf(string, ...any) { r.failed = true }

// A missing engine skips on a laptop; SLIPWAY_REQUIRE_DOCKER=1 keeps its meaning and
// SLIPWAY_REQUIRE_ALL=1 has the same effect: either fails the test.
func TestRequire_FailsUnderEitherCISetting(t *testing.T) {
	for _, tc := range []struct {
		docker, all string
		wantFail    bool
	}{
		{"", "", false},
		{"1", "", true},
		{"", "1", true},
		{"1", "1", true},
	} {
		t.Run(fmt.Sprintf("DOCKER=%q,ALL=%q", tc.docker, tc.all), func(t *testing.T) {
			t.Setenv("SLIPWAY_REQUIRE_DOCKER", tc.docker)
			t.Setenv("SLIPWAY_REQUIRE_ALL", tc.all)
			r := &recorder{}
			Require(r, "the Docker engine", errors.New("no socket"))
			if r.failed != tc.wantFail || r.skipped == tc.wantFail {
				t.Errorf("failed %v, skipped %v; want failed %v", r.failed, r.skipped, tc.wantFail)
			}
			r = &recorder{}
			if Require(r, "the Docker engine", nil); r.failed || r.skipped {
				t.Errorf("with the engine there: failed %v, skipped %v", r.failed, r.skipped)
			}
		})
	}
}
