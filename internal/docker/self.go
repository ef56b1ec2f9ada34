package docker

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"
)

// Self is the container this program runs in, as the engine at cli knows it (the action's, which the
// runner starts beside its Docker socket), or nil when it runs in none the engine knows: on a
// machine of its own (the local CLI), or in a container of another engine.
//
// The engine names no container to its own processes, so the candidates are read from what it leaves
// in one: the bind mounts of /etc/hostname, /etc/hosts and /etc/resolv.conf from the container's
// directory (/proc/self/mountinfo: .../containers/<id>/hostname), the cgroup (cgroup v1, and v2
// without a namespace of its own: .../docker/<id> or docker-<id>.scope), then the hostname (the short
// ID unless the run set another). A candidate counts only when the engine knows a running container
// by it whose hostname is this one's.
func Self(ctx context.Context, cli *client.Client) (*container.InspectResponse, error) {
	host, _ := os.Hostname()
	for _, id := range SelfCandidates() {
		c, err := cli.ContainerInspect(ctx, id)
		switch {
		case cerrdefs.IsNotFound(err):
			continue
		case err != nil:
			return nil, fmt.Errorf("which container slipway runs in: inspect %s: %w", id, err)
		case c.State != nil && c.State.Running && c.Config != nil && c.Config.Hostname == host:
			return &c, nil
		}
	}
	return nil, nil
}

var (
	containerDir = regexp.MustCompile(`/containers/([0-9a-f]{64})/(?:hostname|hosts|resolv\.conf)$`)
	cgroupID     = regexp.MustCompile(`(?:/docker/|/docker-)([0-9a-f]{64})(?:\.scope)?(?:/|$)`)
)

// SelfCandidates are the IDs of the container this process may run in, as selfCandidates reads
// them from /proc/self/mountinfo, /proc/self/cgroup and the hostname; none outside a container but
// the hostname, which names a machine as well.
func SelfCandidates() []string {
	host, _ := os.Hostname()
	mountinfo, _ := os.ReadFile("/proc/self/mountinfo")
	cgroup, _ := os.ReadFile("/proc/self/cgroup")
	return selfCandidates(string(mountinfo), string(cgroup), host)
}

// selfCandidates are the container IDs this process may run in, most certain first, each once: the
// source of what is mounted on /etc/hostname, /etc/hosts or /etc/resolv.conf (proc(5): field 4 of
// mountinfo is the mounted root, field 5 the mount point; the engine's own mounts of other
// containers' directories, seen from the host, are elsewhere), the cgroup, the hostname.
func selfCandidates(mountinfo, cgroup, hostname string) []string {
	var ids []string
	add := func(id string) {
		if id != "" && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	sc := bufio.NewScanner(strings.NewReader(mountinfo))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 5 || (f[4] != "/etc/hostname" && f[4] != "/etc/hosts" && f[4] != "/etc/resolv.conf") {
			continue
		}
		if m := containerDir.FindStringSubmatch(f[3]); m != nil {
			add(m[1])
		}
	}
	sc = bufio.NewScanner(strings.NewReader(cgroup))
	for sc.Scan() {
		if m := cgroupID.FindStringSubmatch(sc.Text()); m != nil {
			add(m[1])
		}
	}
	add(hostname)
	return ids
}
