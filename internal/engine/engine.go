// Package engine is slipway's connection to the Docker Engine: one client per run, its API version
// negotiated once, up front. (The client negotiates lazily on its first request otherwise, and two
// first requests from different goroutines race on the version it stores; the engines slipway meets
// range from API 1.41 to the newest.)
package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/docker/docker/client"
)

// Connect returns a client of the engine that DOCKER_HOST (or the default socket) names, after a
// ping that proves the engine answers.
func Connect(ctx context.Context) (*client.Client, error) {
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return nil, err
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := cli.Ping(pctx); err != nil {
		_ = cli.Close()
		return nil, fmt.Errorf("the Docker engine is not reachable: %w", err)
	}
	cli.NegotiateAPIVersion(pctx)
	return cli, nil
}
