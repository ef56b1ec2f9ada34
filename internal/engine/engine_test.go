package engine

import (
	"context"
	"os"
	"strings"
	"testing"
)

func TestConnect_SaysTheEngineIsUnreachable(t *testing.T) {
	t.Setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
	_, err := Connect(context.Background())
	if err == nil || !strings.Contains(err.Error(), "the Docker engine is not reachable") {
		t.Fatalf("error = %v", err)
	}
}

func TestConnect_NegotiatesOnceUpFront(t *testing.T) {
	if _, err := os.Stat("/var/run/docker.sock"); err != nil && os.Getenv("DOCKER_HOST") == "" {
		if os.Getenv("SLIPWAY_REQUIRE_DOCKER") == "1" {
			t.Fatal("no Docker engine")
		}
		t.Skip("no Docker engine")
	}
	cli, err := Connect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	if v := cli.ClientVersion(); v == "" {
		t.Error("no API version after Connect")
	}
}
