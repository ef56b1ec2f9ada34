package images

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/docker/docker/client"
	bkclient "github.com/moby/buildkit/client"

	"github.com/slipway-actions/slipway/internal/docker"
)

// Daemon is a buildkitd that slipway starts for what the engine's builder cannot do (several
// platforms, a cache exported to a registry, attestations) and removes when the run ends: its own
// state, nothing shared with the engine. It runs where buildkitd can: as a process of this machine
// (StartDaemon: root, runc in PATH), or, when slipway runs in a container the engine knows, in a
// privileged container of that same image beside it (StartSibling), since the action's own
// container has not the privileges buildkitd needs. QEMU's binfmt handlers let it run RUN steps of
// other platforms.
type Daemon struct {
	Client *bkclient.Client
	Where  string // where it runs, for the log: "process 1234" or "container slipway-buildkitd-…"
	// Decompressor is what buildkitd unpacks gzip layers with (Decompressor's answer for its PATH);
	// "" where slipway cannot tell (the container beside slipway's, whose image has isal's igzip).
	Decompressor string
	dir          string // the process's state directory
	stop         func() error
}

// DaemonOptions say where buildkitd is and where its state goes.
type DaemonOptions struct {
	Binary string    // buildkitd; "" looks it up in PATH
	Dir    string    // parent of the process's state directory; "" means the system's temporary directory
	Log    io.Writer // buildkitd's own log; nil discards it
	Ready  time.Duration
	GoGzip bool // decompress with Go's compress/gzip even where igzip or unpigz is on PATH (the build bench's comparison)
}

// StartOwnDaemon starts slipway's buildkitd where it can run: beside slipway's container when slipway
// runs in one the engine at cli knows (the action, which the runner starts unprivileged), else as a
// process of this machine (the local CLI). cli may be nil: no engine, so no container to be beside.
func StartOwnDaemon(ctx context.Context, cli *client.Client, o DaemonOptions) (*Daemon, error) {
	if cli != nil {
		self, err := docker.Self(ctx, cli)
		if err != nil {
			return nil, err
		}
		if self != nil {
			return StartSibling(ctx, cli, self, o)
		}
	}
	return StartDaemon(ctx, o)
}

// StartDaemon starts buildkitd as a process with a state directory of its own and waits until it
// answers.
func StartDaemon(ctx context.Context, o DaemonOptions) (*Daemon, error) {
	path, err := lookBuildkitd(o.Binary)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(o.Dir, "slipway-buildkitd-")
	if err != nil {
		return nil, err
	}
	addr := "unix://" + filepath.Join(dir, "buildkitd.sock")
	cmd := exec.Command(path, buildkitdArgs(filepath.Join(dir, "state"), addr)...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "TMPDIR=" + dir}
	decompressor := Decompressor(os.Getenv("PATH"))
	if o.GoGzip { // containerd's switches (pkg/archive/compression)
		cmd.Env = append(cmd.Env, "CONTAINERD_DISABLE_IGZIP=1", "CONTAINERD_DISABLE_PIGZ=1")
		decompressor = Decompressor("")
	}
	cmd.Stdout, cmd.Stderr = o.Log, o.Log
	// Its own process group, so a signal to slipway's group reaches us first and we stop it in
	// order; and killed with slipway should slipway itself be killed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("start buildkitd: %w", err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	d := &Daemon{Where: fmt.Sprintf("process %d", cmd.Process.Pid), Decompressor: decompressor, dir: dir, stop: func() error {
		stopProcess(cmd, exited)
		if err := os.RemoveAll(dir); err != nil {
			return fmt.Errorf("remove buildkitd's state %s: %w", dir, err)
		}
		return nil
	}}
	gone := func() error { return fmt.Errorf("buildkitd exited before it was ready: %v", waitErr) }
	if err := d.waitReady(ctx, cmp.Or(o.Ready, 60*time.Second), exited, gone, func(ctx context.Context) (*bkclient.Client, error) {
		return bkclient.New(ctx, addr)
	}); err != nil {
		_ = d.Stop()
		return nil, err
	}
	return d, nil
}

// Decompressor names what buildkitd, given this PATH, decompresses gzip layers with when it
// extracts a cached or base layer for a step to run on: containerd's archive package runs igzip
// (ISA-L; Debian package isal) or else unpigz (pigz) when it finds one on the PATH, and otherwise
// Go's compress/gzip, which takes about three times igzip's time.
func Decompressor(path string) string {
	for _, name := range []string{"igzip", "unpigz"} {
		for _, dir := range filepath.SplitList(path) {
			if !filepath.IsAbs(dir) {
				continue // relative to the current directory, which exec.LookPath refuses (ErrDot)
			}
			if fi, err := os.Stat(filepath.Join(dir, name)); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
				return name
			}
		}
	}
	return "Go's compress/gzip"
}

// lookBuildkitd finds buildkitd: bin, else in PATH.
func lookBuildkitd(bin string) (string, error) {
	path, err := exec.LookPath(cmp.Or(bin, "buildkitd"))
	if err != nil {
		return "", fmt.Errorf("buildkitd is not installed (needed for several platforms, a registry cache or attestations): %w", err)
	}
	return path, nil
}

// buildkitdArgs are buildkitd's flags: an OCI worker (runc) with its state under root, garbage
// collection off (the state goes with the run), listening on addr.
func buildkitdArgs(root, addr string) []string {
	return []string{"--root", root, "--addr", addr, "--oci-worker=true", "--containerd-worker=false", "--oci-worker-gc=false"}
}

// stopProcess stops buildkitd: SIGTERM, then SIGKILL after 10 s.
func stopProcess(cmd *exec.Cmd, exited <-chan struct{}) {
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
	}
}

// waitReady connects and asks for buildkitd's workers until it has one, exited is closed (gone says
// why), or the deadline passes. Each try is a client of its own, so a try that finds no socket yet
// leaves no connection backoff behind.
func (d *Daemon) waitReady(ctx context.Context, within time.Duration, exited <-chan struct{}, gone func() error, connect func(context.Context) (*bkclient.Client, error)) error {
	ctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		c, err := connect(ctx)
		if err != nil {
			return fmt.Errorf("buildkitd client: %w", err)
		}
		tctx, tcancel := context.WithTimeout(ctx, 5*time.Second)
		ws, err := c.ListWorkers(tctx)
		tcancel()
		if err == nil && len(ws) > 0 {
			d.Client = c
			return nil
		}
		_ = c.Close()
		select {
		case <-exited:
			return gone()
		case <-ctx.Done():
			return fmt.Errorf("buildkitd (%s) did not answer within %s: %w", d.Where, within, ctx.Err())
		case <-tick.C:
		}
	}
}

// Platforms are the platforms buildkitd's worker can build: the machine's own and those QEMU's
// binfmt handlers emulate.
func (d *Daemon) Platforms(ctx context.Context) ([]string, error) {
	ws, err := d.Client.ListWorkers(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, w := range ws {
		for _, p := range w.Platforms {
			s := p.OS + "/" + p.Architecture
			if p.Variant != "" {
				s += "/" + p.Variant
			}
			out = append(out, s)
		}
	}
	return out, nil
}

// Stop stops buildkitd and removes its state: the process and its directory, or the container and
// its volume. It is safe to call when the run's context is already cancelled.
func (d *Daemon) Stop() error {
	if d.Client != nil {
		_ = d.Client.Close()
	}
	return d.stop()
}

// Dir is the process's state directory (tests check that Stop removes it); "" for a container.
func (d *Daemon) Dir() string { return d.dir }
