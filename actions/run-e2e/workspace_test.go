package rune2e

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/mount"
)

// containers is an engine that knows some containers, by ID or name, answering ContainerInspect
// with their mounts as the Engine API's /containers/{id}/json does (Mounts: Type, Source,
// Destination), and 404 for any other.
type containers map[string][]container.MountPoint

func (cs containers) ContainerInspect(_ context.Context, id string) (container.InspectResponse, error) {
	ms, ok := cs[id]
	if !ok {
		return container.InspectResponse{}, errors.New("Error response from daemon: No such container: " + id)
	}
	return container.InspectResponse{Mounts: ms}, nil
}

const fullID = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// The workspace's host directory is the source of the bind at the workspace in this process's
// container, found by its hostname or, where --hostname changed that, by the ID in its mounts;
// outside a container there is none to find. In a container where it cannot be found, why is said.
func TestWorkspaceOnHost_FindsTheBindOrSaysWhy(t *testing.T) {
	t.Parallel()
	ws := actionWorkspace
	bind := container.MountPoint{Type: mount.TypeBind, Source: "/home/runner/work/web/web", Destination: ws}
	for _, c := range []struct {
		name    string
		engine  containers
		own     ownContainer
		ws      string
		want    string
		wantErr string // "" when none
	}{
		{name: "a local run", own: ownContainer{ids: []string{"laptop"}}, ws: "/home/me/web"},
		{name: "by hostname", engine: containers{"0123456789ab": {bind}}, own: ownContainer{dockerenv: true, ids: []string{"0123456789ab"}}, ws: ws, want: bind.Source},
		{name: "a hostname the engine does not know, then the ID", engine: containers{fullID: {bind}},
			own: ownContainer{dockerenv: true, ids: []string{"ci-box", fullID}}, ws: ws, want: bind.Source},
		{name: "a hostname that names another container", engine: containers{"db": {}, fullID: {bind}},
			own: ownContainer{dockerenv: true, ids: []string{"db", fullID}}, ws: ws, want: bind.Source},
		{name: "not a container of this engine", engine: containers{}, own: ownContainer{dockerenv: true, ids: []string{"ci-box"}}, ws: ws,
			wantErr: "this container (ci-box) is not one the engine knows: Error response from daemon: No such container: ci-box"},
		{name: "in a container without /.dockerenv", engine: containers{}, own: ownContainer{ids: []string{"pod"}}, ws: ws,
			wantErr: "this container (pod) is not one the engine knows"},
		{name: "no mount at the workspace", engine: containers{"abc": {{Type: mount.TypeBind, Source: "/x", Destination: "/data"}}},
			own: ownContainer{dockerenv: true, ids: []string{"abc"}}, ws: ws, wantErr: "container abc has no mount at /github/workspace"},
		{name: "a volume at the workspace", engine: containers{"abc": {{Type: mount.TypeVolume, Name: "ws", Destination: ws}}},
			own: ownContainer{dockerenv: true, ids: []string{"abc"}}, ws: ws, wantErr: "/github/workspace is a volume mount of container abc, not a bind"},
		{name: "nothing names the container", own: ownContainer{dockerenv: true}, ws: ws, wantErr: "neither the hostname nor /proc/self/mountinfo nor /proc/self/cgroup names this container"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got, err := workspaceOnHost(context.Background(), c.engine, c.ws, c.own)
			if got != c.want || (err == nil) != (c.wantErr == "") || err != nil && !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("= %q, %v; want %q, %q", got, err, c.want, c.wantErr)
			}
		})
	}
}
