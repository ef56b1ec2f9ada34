package docker_test

import (
	"context"
	"strings"
	"testing"

	"github.com/slipway-actions/slipway/internal/docker"
	"github.com/slipway-actions/slipway/internal/dockertest"
)

func TestConnect_SaysTheEngineIsUnreachable(t *testing.T) {
	t.Setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
	_, err := docker.Connect(context.Background(), "")
	if err == nil || !strings.Contains(err.Error(), "the Docker engine is not reachable") {
		t.Fatalf("error = %v", err)
	}
}

func TestConnect_NegotiatesOnceUpFront(t *testing.T) {
	cli, err := docker.Connect(context.Background(), "")
	dockertest.Require(t, "the Docker engine", err)
	defer cli.Close()
	if v := cli.ClientVersion(); v == "" {
		t.Errorf("API version %q after Connect", v)
	}
}
