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

	bkclient "github.com/moby/buildkit/client"
)

// Daemon is a buildkitd that slipway starts for what the engine's builder cannot do (several
// platforms, a cache exported to a registry, attestations) and removes when the run ends: its own
// state directory and socket, nothing shared with the engine. buildkitd needs root and runc, as in
// slipway's image; QEMU's binfmt handlers let it run RUN steps of other platforms.
type Daemon struct {
	Client *bkclient.Client
	// Decompressor is what buildkitd unpacks gzip layers with (Decompressor's answer for its PATH).
	Decompressor string
	dir          string
	cmd          *exec.Cmd
	exited       chan struct{}
	err          error // the process's exit, once exited is closed
}

// DaemonOptions say where buildkitd is and where its state goes.
type DaemonOptions struct {
	Binary string    // buildkitd; "" looks it up in PATH
	Dir    string    // parent of the state directory; "" means the system's temporary directory
	Log    io.Writer // buildkitd's own log; nil discards it
	Ready  time.Duration
	GoGzip bool // decompress with Go's compress/gzip even where igzip or unpigz is on PATH (the build bench's comparison)
}

// StartDaemon starts buildkitd with a state directory of its own and waits until it answers.
func StartDaemon(ctx context.Context, o DaemonOptions) (*Daemon, error) {
	bin := o.Binary
	if bin == "" {
		bin = "buildkitd"
	}
	path, err := exec.LookPath(bin)
	if err != nil {
		return nil, fmt.Errorf("buildkitd is not installed (needed for several platforms, a registry cache or attestations): %w", err)
	}
	dir, err := os.MkdirTemp(o.Dir, "slipway-buildkitd-")
	if err != nil {
		return nil, err
	}
	addr := "unix://" + filepath.Join(dir, "buildkitd.sock")
	cmd := exec.Command(path, "--root", filepath.Join(dir, "state"), "--addr", addr,
		"--oci-worker=true", "--containerd-worker=false", "--oci-worker-gc=false")
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
	d := &Daemon{Decompressor: decompressor, dir: dir, cmd: cmd, exited: make(chan struct{})}
	go func() { d.err = cmd.Wait(); close(d.exited) }()
	if err := d.waitReady(ctx, addr, cmp.Or(o.Ready, 60*time.Second)); err != nil {
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

// waitReady polls buildkitd's worker list until it has a worker, it exits, or the deadline passes.
func (d *Daemon) waitReady(ctx context.Context, addr string, within time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	c, err := bkclient.New(ctx, addr)
	if err != nil {
		return fmt.Errorf("buildkitd client: %w", err)
	}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		if ws, err := c.ListWorkers(ctx); err == nil && len(ws) > 0 {
			d.Client = c
			return nil
		}
		select {
		case <-d.exited:
			_ = c.Close()
			return fmt.Errorf("buildkitd exited before it was ready: %v", d.err)
		case <-ctx.Done():
			_ = c.Close()
			return fmt.Errorf("buildkitd did not answer within %s: %w", within, ctx.Err())
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

// Stop stops buildkitd (SIGTERM, then SIGKILL after 10 s) and removes its state directory. It is
// safe to call when the run's context is already cancelled.
func (d *Daemon) Stop() error {
	if d.Client != nil {
		_ = d.Client.Close()
	}
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.exited:
	case <-time.After(10 * time.Second):
		_ = d.cmd.Process.Kill()
		<-d.exited
	}
	if err := os.RemoveAll(d.dir); err != nil {
		return fmt.Errorf("remove buildkitd's state %s: %w", d.dir, err)
	}
	return nil
}

// Dir is buildkitd's state directory (tests check that Stop removes it).
func (d *Daemon) Dir() string { return d.dir }
