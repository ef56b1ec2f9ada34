// Package docker is slipway's connection to the Docker Engine: one client per run, its API version
// negotiated once, up front. (The client negotiates lazily on its first request otherwise, and two
// first requests from different goroutines race on the version it stores; the engines slipway meets
// range from API 1.41 to the newest.) And which container slipway itself runs in, if any (Self).
package docker

import (
	"context"
	"fmt"
	"time"

	"github.com/docker/docker/client"
)

// Connect returns a client of the engine at host (a DOCKER_HOST value; empty for the default socket),
// after a ping that proves the engine answers.
func Connect(ctx context.Context, host string) (*client.Client, error) {
	opts := []client.Opt{client.FromEnv, client.WithAPIVersionNegotiation()}
	if host != "" {
		opts = append(opts, client.WithHost(host))
	}
	cli, err := client.NewClientWithOpts(opts...)
	if err != nil {
		return nil, fmt.Errorf("the Docker engine at %q: %w", host, err)
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
