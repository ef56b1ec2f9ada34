package compose

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/volume"
	"github.com/docker/docker/client"

	"github.com/slipway-actions/slipway/internal/compose/composetest"
	"github.com/slipway-actions/slipway/internal/dockertest"
)

// stuckEngine is the real engine, except that it refuses to remove one container.
type stuckEngine struct {
	client.APIClient
	stuck string
}

func (e stuckEngine) ContainerRemove(ctx context.Context, id string, o container.RemoveOptions) error {
	if id == e.stuck {
		return errors.New("device or resource busy")
	}
	return e.APIClient.ContainerRemove(ctx, id, o)
}

// Down goes on past an error: everything else of the project is removed, and the error names what
// is left.
func TestDown_GoesOnPastErrors(t *testing.T) {
	t.Parallel()
	cli := dockertest.Client(t)
	img := composetest.PlatformImage(t, cli)
	name := strings.ToLower(dockertest.UniqueName(t, "down"))
	t.Cleanup(func() { _ = Down(context.Background(), cli, name) })
	ctx := context.Background()
	labels := map[string]string{labelProject: name}
	var ids []string
	for _, svc := range []string{"a", "b", "c"} {
		c, err := cli.ContainerCreate(ctx, &container.Config{Image: img, Cmd: []string{"sleep"}, Labels: labels}, nil, nil, nil, name+"-"+svc)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	if _, err := cli.NetworkCreate(ctx, name+"_default", network.CreateOptions{Labels: labels}); err != nil {
		t.Fatal(err)
	}
	if _, err := cli.VolumeCreate(ctx, volume.CreateOptions{Name: name + "_data", Labels: labels}); err != nil {
		t.Fatal(err)
	}
	err := Down(ctx, stuckEngine{cli, ids[0]}, name)
	if err == nil || !strings.Contains(err.Error(), "1 containers, networks and volumes of project "+name+" are left") ||
		!strings.Contains(err.Error(), "remove container "+ids[0][:12]+": device or resource busy") {
		t.Errorf("err = %v", err)
	}
	if n, err := Leftovers(ctx, cli, name); err != nil || n != 1 {
		t.Errorf("%d left, want only the stuck container (%v)", n, err)
	}
}

func TestOrder_DependenciesFirstThenByName(t *testing.T) {
	t.Parallel()
	p := &types.Project{Services: types.Services{
		"e2e":     {Name: "e2e", WorkloadSpec: types.WorkloadSpec{DependsOn: types.DependsOnConfig{"web": {}, "api": {}}}},
		"web":     {Name: "web", WorkloadSpec: types.WorkloadSpec{DependsOn: types.DependsOnConfig{"api": {}}}},
		"api":     {Name: "api", WorkloadSpec: types.WorkloadSpec{DependsOn: types.DependsOnConfig{"db": {}, "migrate": {}}}},
		"migrate": {Name: "migrate", WorkloadSpec: types.WorkloadSpec{DependsOn: types.DependsOnConfig{"db": {}}}},
		"db":      {Name: "db"},
		"cache":   {Name: "cache"},
	}}
	for range 20 { // map order differs from run to run; the answer must not
		if got := strings.Join(Order(p), " "); got != "cache db migrate api web e2e" {
			t.Fatalf("Order = %s", got)
		}
	}
}
