//go:build !linux

package rollout

import (
	"testing"
	"time"

	"github.com/slipway-actions/slipway/internal/testenv"
)

// exited has no pidfd to wait on outside Linux.
func exited(t *testing.T, _ int, _ time.Duration) bool {
	testenv.Missing(t, "Linux's pidfd", "waiting for another process's exit needs it")
	return false
}
