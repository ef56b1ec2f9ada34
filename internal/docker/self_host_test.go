package docker_test

import (
	"context"
	"testing"

	"github.com/slipway-actions/slipway/internal/docker"
	"github.com/slipway-actions/slipway/internal/dockertest"
)

// On the host (the tests' process, the local CLI) slipway runs in no container, even while the
// engine runs others.
func TestSelf_OnTheHostIsNoContainer(t *testing.T) {
	t.Parallel()
	cli, err := docker.Connect(context.Background(), "")
	dockertest.Require(t, "the Docker engine", err)
	defer cli.Close()
	self, err := docker.Self(context.Background(), cli)
	if err != nil || self != nil {
		t.Errorf("Self on the host = %v, %v; want none", self, err)
	}
}
