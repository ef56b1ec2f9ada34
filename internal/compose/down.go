package compose

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
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

// downTimeout bounds a teardown that the engine does not answer; a cancelled step is over long
// before (actionkit.CancelWindow).
const downTimeout = 2 * time.Minute

// Down removes every container, network and volume labelled with the project, whatever state the
// run ended in: containers first (at once, killed rather than stopped), then networks and volumes.
// It goes on past every error, passes again for what the engine finished creating meanwhile, and
// reports only what is still there at the end. It runs under its own time limit, so it also works
// after a cancel.
func Down(ctx context.Context, cli client.APIClient, project string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), downTimeout)
	defer cancel()
	var errs []error
	for range 3 {
		errs = down(ctx, cli, project)
		n, err := Leftovers(ctx, cli, project)
		if err == nil && n == 0 {
			return nil
		}
		if err != nil {
			errs = append(errs, err)
		}
		if ctx.Err() != nil {
			break
		}
	}
	n, _ := Leftovers(ctx, cli, project)
	return fmt.Errorf("%d containers, networks and volumes of project %s are left (remove them with docker compose -p %s down -v): %w",
		n, project, project, errors.Join(errs...))
}

// down makes one pass over the project's containers, networks and volumes and returns every error.
func down(ctx context.Context, cli client.APIClient, project string) []error {
	f := filters.NewArgs(filters.Arg("label", labelProject+"="+project))
	var (
		mu   sync.Mutex
		errs []error
	)
	fail := func(err error) {
		if err != nil && !cerrdefs.IsNotFound(err) {
			mu.Lock()
			errs = append(errs, err)
			mu.Unlock()
		}
	}
	each := func(items []string, remove func(string) error) {
		var wg sync.WaitGroup
		for _, it := range items {
			wg.Go(func() { fail(remove(it)) })
		}
		wg.Wait()
	}

	cs, err := cli.ContainerList(ctx, container.ListOptions{All: true, Filters: f})
	fail(err)
	var ids []string
	for _, c := range cs {
		ids = append(ids, c.ID)
	}
	each(ids, func(id string) error {
		if err := cli.ContainerRemove(ctx, id, container.RemoveOptions{Force: true, RemoveVolumes: true}); err != nil {
			return fmt.Errorf("remove container %s: %w", id[:12], err)
		}
		return nil
	})

	ns, err := cli.NetworkList(ctx, network.ListOptions{Filters: f})
	fail(err)
	var nets []string
	for _, n := range ns {
		nets = append(nets, n.Name)
	}
	each(nets, func(name string) error {
		if err := cli.NetworkRemove(ctx, name); err != nil {
			return fmt.Errorf("remove network %s: %w", name, err)
		}
		return nil
	})

	vs, err := cli.VolumeList(ctx, volume.ListOptions{Filters: f})
	fail(err)
	var vols []string
	for _, v := range vs.Volumes {
		vols = append(vols, v.Name)
	}
	each(vols, func(name string) error {
		if err := cli.VolumeRemove(ctx, name, true); err != nil {
			return fmt.Errorf("remove volume %s: %w", name, err)
		}
		return nil
	})
	return errs
}

// Leftovers counts the project's containers, networks and volumes still on the engine.
func Leftovers(ctx context.Context, cli client.APIClient, project string) (int, error) {
	f := filters.NewArgs(filters.Arg("label", labelProject+"="+project))
	cs, err1 := cli.ContainerList(ctx, container.ListOptions{All: true, Filters: f})
	ns, err2 := cli.NetworkList(ctx, network.ListOptions{Filters: f})
	vs, err3 := cli.VolumeList(ctx, volume.ListOptions{Filters: f})
	return len(cs) + len(ns) + len(vs.Volumes), errors.Join(err1, err2, err3)
}
