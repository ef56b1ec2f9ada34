package images

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/api/types/system"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/stdcopy"
	bkclient "github.com/moby/buildkit/client"
)

// LabelBuilderFor labels the container of slipway's buildkitd with the ID of the container it serves
// (slipway's own): how it is found and removed, by that run or, were that run killed, by the next.
const LabelBuilderFor = "dev.slipway.buildkitd.for"

// In the builder's container: buildkitd's state on a volume of its own (overlayfs cannot stack on the
// container's own overlay filesystem), and its socket.
const (
	siblingState  = "/var/lib/buildkit"
	siblingSocket = "/run/buildkit/buildkitd.sock"
)

// sibling is buildkitd in a container of slipway's image beside slipway's own, as buildx's
// docker-container driver runs it (github.com/docker/buildx, driver/docker-container): privileged,
// since buildkitd mounts, makes namespaces and runs runc, which the runner's unprivileged container
// action cannot; on the network of slipway's own container, so that buildkitd reaches the registries
// slipway reaches (a registry on the runner's loopback when the step runs on the host's network, a
// job's service container by its name on the job's network); reached through the engine's exec API
// running slipway's hidden dial command (as buildx runs `buildctl dial-stdio`), never a port.
//
// An engine whose own host withholds a capability cannot start a privileged container (runc: "unable
// to apply caps"); there the builder gets what buildkitd needs and no more: SYS_ADMIN and NET_ADMIN
// beside Docker's default capabilities, seccomp and AppArmor unconfined, and its cgroups writable
// (ExecCommand remounts them, as a privileged container has them).
type sibling struct {
	cli     *client.Client
	id      string
	slipway string // the path of this program, the same in the builder's container (one image)
	log     io.Writer
	ready   atomic.Bool // buildkitd answered: a dial that fails from now on says why in the log
}

// StartSibling starts buildkitd in a container of self's image, labelled for self, and waits until
// it answers. Stop removes the container and its volume. Containers that an earlier run left behind
// (their slipway container is gone: a run killed outright) are removed first.
func StartSibling(ctx context.Context, cli *client.Client, self *container.InspectResponse, o DaemonOptions) (*Daemon, error) {
	bin, err := lookBuildkitd(o.Binary)
	if err != nil {
		return nil, err
	}
	exe, err := os.Executable()
	if err == nil {
		exe, err = filepath.EvalSymlinks(exe)
	}
	if err != nil {
		return nil, fmt.Errorf("the path of slipway itself: %w", err)
	}
	RemoveLeftoverBuilders(ctx, cli)
	s := &sibling{cli: cli, slipway: exe, log: cmp.Or[io.Writer](o.Log, io.Discard)}
	d := &Daemon{stop: s.remove}
	if d.Where, err = s.run(ctx, self, bin); err != nil {
		_ = d.Stop()
		return nil, err
	}
	s.follow()
	exited, gone := s.watch()
	if err := d.waitReady(ctx, cmp.Or(o.Ready, 60*time.Second), exited, gone, func(ctx context.Context) (*bkclient.Client, error) {
		return bkclient.New(ctx, "", bkclient.WithContextDialer(s.dial))
	}); err != nil {
		_ = d.Stop()
		return nil, err
	}
	s.ready.Store(true)
	return d, nil
}

// run creates and starts the builder's container, privileged, else (the engine refused) with the
// privileges buildkitd needs spelled out; it says which in the container's description.
func (s *sibling) run(ctx context.Context, self *container.InspectResponse, bin string) (string, error) {
	var errs []error
	for _, privileged := range []bool{true, false} {
		name := "slipway-buildkitd-" + shortID(self.ID) + "-" + randomHex(3)
		created, err := s.cli.ContainerCreate(ctx, s.config(self.Image, bin, self.ID), s.hostConfig(ctx, self, privileged), nil, nil, name)
		if err != nil {
			return "", errors.Join(append(errs, fmt.Errorf("create buildkitd's container from slipway's image %s: %w", shortID(self.Image), err))...)
		}
		s.id = created.ID
		for _, p := range []string{bin, s.slipway} {
			if _, err := s.cli.ContainerStatPath(ctx, s.id, p); err != nil {
				return "", fmt.Errorf("buildkitd's container has no %s: slipway's own builder runs from slipway's image, which this is not (%w)", p, err)
			}
		}
		err = s.cli.ContainerStart(ctx, s.id, container.StartOptions{})
		if err == nil && privileged {
			return "container " + name + " (privileged)", nil
		}
		if err == nil {
			return "container " + name + " (SYS_ADMIN, NET_ADMIN, seccomp and AppArmor unconfined: the engine refused a privileged one)", nil
		}
		errs = append(errs, fmt.Errorf("start buildkitd's container (privileged: %t): %w", privileged, err))
		if privileged {
			fmt.Fprintf(s.log, "the engine started no privileged container for buildkitd (%v); starting one with buildkitd's privileges spelled out\n", err)
		}
		if rerr := s.remove(); rerr != nil {
			return "", errors.Join(append(errs, rerr)...)
		}
	}
	return "", errors.Join(errs...)
}

// config runs buildkitd from slipway's image through ExecCommand, labelled for slipway's container.
// Nothing of the action's environment (its inputs, the runner's variables) is given to it; on cgroup
// v2 buildkitd moves its own processes into a child cgroup, as BuildKit's image asks of it.
func (s *sibling) config(image, bin, selfID string) *container.Config {
	return &container.Config{
		Image:      image,
		Entrypoint: []string{s.slipway, ExecCommand, bin},
		Cmd:        buildkitdArgs(siblingState, "unix://"+siblingSocket),
		Env:        []string{"BUILDKIT_SETUP_CGROUPV2_ROOT=1"},
		Labels:     map[string]string{LabelBuilderFor: selfID},
	}
}

// hostConfig: privileged or with buildkitd's privileges spelled out, with an init that reaps what
// buildkitd's steps leave, on slipway's network and name resolution, its state on an anonymous
// volume that the removal takes with it. An engine that remaps users gives the builder the host's
// user namespace (as buildx asks).
func (s *sibling) hostConfig(ctx context.Context, self *container.InspectResponse, privileged bool) *container.HostConfig {
	init := true
	hc := &container.HostConfig{
		Privileged: privileged,
		Init:       &init,
		Mounts: []mount.Mount{{Type: mount.TypeVolume, Target: siblingState,
			VolumeOptions: &mount.VolumeOptions{Labels: map[string]string{LabelBuilderFor: self.ID}}}},
	}
	if !privileged {
		hc.CapAdd = []string{"SYS_ADMIN", "NET_ADMIN"}
		hc.SecurityOpt = []string{"seccomp=unconfined", "apparmor=unconfined"}
	}
	if self.HostConfig != nil {
		hc.NetworkMode = self.HostConfig.NetworkMode
		hc.DNS, hc.DNSSearch, hc.DNSOptions = self.HostConfig.DNS, self.HostConfig.DNSSearch, self.HostConfig.DNSOptions
		hc.ExtraHosts = self.HostConfig.ExtraHosts
	}
	if info, err := s.cli.Info(ctx); err == nil {
		if opts, err := system.DecodeSecurityOptions(info.SecurityOptions); err == nil &&
			slices.ContainsFunc(opts, func(o system.SecurityOpt) bool { return o.Name == "userns" }) {
			hc.UsernsMode = "host"
		}
	}
	return hc
}

// follow copies buildkitd's log to the run's log until the container goes.
func (s *sibling) follow() {
	go func() {
		logs, err := s.cli.ContainerLogs(context.Background(), s.id, container.LogsOptions{ShowStdout: true, ShowStderr: true, Follow: true})
		if err != nil {
			return
		}
		defer logs.Close()
		_, _ = stdcopy.StdCopy(s.log, s.log, logs)
	}()
}

// watch returns a channel closed when the container stops running, and the error that says so.
func (s *sibling) watch() (<-chan struct{}, func() error) {
	exited := make(chan struct{})
	var status int64
	waitC, errC := s.cli.ContainerWait(context.Background(), s.id, container.WaitConditionNotRunning)
	go func() {
		select {
		case w := <-waitC:
			status = w.StatusCode
		case <-errC:
		}
		close(exited)
	}()
	return exited, func() error {
		return fmt.Errorf("buildkitd's container exited (status %d) before it was ready: %s", status, s.logTail(5))
	}
}

// logTail is the last n lines of the container's log, on one line.
func (s *sibling) logTail(n int) string {
	logs, err := s.cli.ContainerLogs(context.Background(), s.id, container.LogsOptions{ShowStdout: true, ShowStderr: true, Tail: fmt.Sprint(n)})
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	defer logs.Close()
	var out bytes.Buffer
	_, _ = stdcopy.StdCopy(&out, &out, logs)
	return strings.Join(strings.Fields(strings.ReplaceAll(out.String(), "\n", " | ")), " ")
}

// dial is one connection to buildkitd: an exec of slipway's dial command in the builder's container,
// its stdin and stdout the connection (the engine multiplexes stdout and stderr on the stream).
func (s *sibling) dial(ctx context.Context, _ string) (net.Conn, error) {
	ex, err := s.cli.ContainerExecCreate(ctx, s.id, container.ExecOptions{
		Cmd: []string{s.slipway, DialCommand, siblingSocket}, AttachStdin: true, AttachStdout: true, AttachStderr: true,
	})
	if err != nil {
		return nil, err
	}
	resp, err := s.cli.ContainerExecAttach(ctx, ex.ID, container.ExecAttachOptions{})
	if err != nil {
		return nil, err
	}
	stderr := io.Discard // until buildkitd answers, a dial finds no socket yet
	if s.ready.Load() {
		stderr = s.log
	}
	pr, pw := io.Pipe()
	go func() {
		_, err := stdcopy.StdCopy(pw, stderr, resp.Reader)
		pw.CloseWithError(cmp.Or(err, io.EOF))
	}()
	return &execConn{Conn: resp.Conn, r: pr}, nil
}

// execConn writes to an exec's stdin and reads its stdout.
type execConn struct {
	net.Conn
	r *io.PipeReader
}

func (c *execConn) Read(p []byte) (int, error) { return c.r.Read(p) }

func (c *execConn) Close() error {
	_ = c.r.Close()
	return c.Conn.Close()
}

// remove removes the container and its volume, on a context of its own: it runs after a cancel too.
func (s *sibling) remove() error {
	if s.id == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := s.cli.ContainerRemove(ctx, s.id, container.RemoveOptions{Force: true, RemoveVolumes: true})
	if err != nil && !cerrdefs.IsNotFound(err) {
		return fmt.Errorf("remove buildkitd's container %s: %w", shortID(s.id), err)
	}
	s.id = ""
	return nil
}

// RemoveLeftoverBuilders removes the builder containers (and volumes) whose slipway container is no
// longer running: what a run killed outright (SIGKILL, the runner's last word) could not remove.
// The builders of runs still going are left alone.
func RemoveLeftoverBuilders(ctx context.Context, cli *client.Client) {
	list, err := cli.ContainerList(ctx, container.ListOptions{All: true, Filters: filters.NewArgs(filters.Arg("label", LabelBuilderFor))})
	if err != nil {
		return
	}
	for _, c := range list {
		owner, err := cli.ContainerInspect(ctx, c.Labels[LabelBuilderFor])
		if err == nil && owner.State != nil && owner.State.Running {
			continue
		}
		if err != nil && !cerrdefs.IsNotFound(err) {
			continue
		}
		_ = cli.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true, RemoveVolumes: true})
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
