package sandbox

import (
	"os"
	"os/exec"
	"testing"
)

// UID and GID are the sandbox user's: slipway-sandbox in the image (see the Dockerfile). The kernel
// needs no passwd entry for them, so they serve where no such user exists (a test on a host) too.
const (
	UID = 65532
	GID = 65532
)

// offEnv, set to "off" in a test binary, turns the sandbox off for tests whose fixtures the sandbox
// user cannot read (a t.TempDir is root's, mode 0700). A released binary ignores it: neither a
// repository nor a workflow can turn the sandbox off.
const offEnv = "SLIPWAY_SANDBOX"

// Options say what a command may write besides its home.
type Options struct {
	// Writes are absolute directories the command writes (a virtual environment, a cache): made
	// if missing and handed to the sandbox user for the command's run only; when it ends, all
	// that is in them belongs to their owner from before (a new directory's: its parent's) again.
	Writes []string
	// Home, when set, prepares the command's home before it starts, only when it runs sandboxed:
	// it may write files there (a tool's user config) and returns variables (KEY=VALUE) that name
	// places in it, which replace those of cmd.Env.
	Home func(dir string) (env []string, err error)
}

// Active reports whether Run runs commands as the sandbox user: on Linux when this process is root.
func Active() bool {
	return canDrop() && !(testing.Testing() && os.Getenv(offEnv) == "off")
}

// Run runs cmd to its end, as cmd.Run does. When Active it runs as the sandbox user, with no
// supplementary group, no_new_privs, and SIGKILL when slipway dies; with a home of its own (HOME,
// TMPDIR and XDG_CACHE_HOME in cmd.Env), removed when it ends; writing only there and in o.Writes.
// What it reads (its binary, its working directory, its files) must be readable by every user.
// Otherwise cmd runs as it is. A command that exits non-zero returns an *exec.ExitError, as cmd.Run;
// an error of the sandbox itself (a directory it could not hand over or take back) is joined to it.
func Run(cmd *exec.Cmd, o Options) error {
	if !Active() {
		return cmd.Run()
	}
	return run(cmd, o)
}
