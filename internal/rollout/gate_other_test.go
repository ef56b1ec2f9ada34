//go:build !linux

package rollout

import (
	"testing"
	"time"
)

// exited has no pidfd to wait on outside Linux.
func exited(t *testing.T, _ int, _ time.Duration) bool {
	t.Skip("waiting for another process's exit needs Linux's pidfd")
	return false
}
