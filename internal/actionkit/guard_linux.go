package actionkit

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes the guarded child end when its parent is killed (SIGKILL cannot be passed on),
// so no run outlives its process.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
