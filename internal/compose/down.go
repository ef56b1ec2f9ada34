package compose

import (
	cerrdefs "github.com/containerd/errdefs"

	"context"
	"errors"
	"fmt"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/volume"
	"github.com/docker/docker/client"
)

// Labels Compose itself puts on what it creates; slipway uses the same, so `docker compose -p X
// down` also cleans up after it, and adds its own.
const (
	labelProject = "com.docker.compose.project"
	labelService = "com.docker.compose.service"
	labelSlipway = "dev.slipway.e2e"
)

// Down removes every container, network and volume labelled with the project, whatever state the
// run ended in. It runs with its own time limit, so it also works after a cancel.
func Down(ctx context.Context, cli client.APIClient, project string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancel()
	// A second pass catches what the engine finished creating while the first one ran.
	for range 2 {
		if err := down(ctx, cli, project); err != nil {
			return err
		}
		if n, err := Leftovers(ctx, cli, project); err != nil || n == 0 {
			return err
		}
	}
	return down(ctx, cli, project)
}

func down(ctx context.Context, cli client.APIClient, project string) error {
	f := filters.NewArgs(filters.Arg("label", labelProject+"="+project))
	var errs []error
	cs, err := cli.ContainerList(ctx, container.ListOptions{All: true, Filters: f})
	errs = append(errs, err)
	for _, c := range cs {
		if err := cli.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true, RemoveVolumes: true}); err != nil && !cerrdefs.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("remove container %s: %w", c.ID[:12], err))
		}
	}
	ns, err := cli.NetworkList(ctx, network.ListOptions{Filters: f})
	errs = append(errs, err)
	for _, n := range ns {
		if err := cli.NetworkRemove(ctx, n.ID); err != nil && !cerrdefs.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("remove network %s: %w", n.Name, err))
		}
	}
	vs, err := cli.VolumeList(ctx, volume.ListOptions{Filters: f})
	errs = append(errs, err)
	for _, v := range vs.Volumes {
		if err := cli.VolumeRemove(ctx, v.Name, true); err != nil && !cerrdefs.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("remove volume %s: %w", v.Name, err))
		}
	}
	return errors.Join(errs...)
}

// Leftovers counts the project's containers, networks and volumes still on the engine.
func Leftovers(ctx context.Context, cli client.APIClient, project string) (int, error) {
	f := filters.NewArgs(filters.Arg("label", labelProject+"="+project))
	cs, err1 := cli.ContainerList(ctx, container.ListOptions{All: true, Filters: f})
	ns, err2 := cli.NetworkList(ctx, network.ListOptions{Filters: f})
	vs, err3 := cli.VolumeList(ctx, volume.ListOptions{Filters: f})
	return len(cs) + len(ns) + len(vs.Volumes), errors.Join(err1, err2, err3)
}
