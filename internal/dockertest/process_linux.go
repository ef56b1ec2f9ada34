package dockertest

import (
	"os/exec"
	"syscall"
)

// DieWithTest makes a server a test starts (moto, docker-registry) end when the test process ends,
// even when it is killed (a timeout, a cancelled CI job) before its cleanup can run.
func DieWithTest(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
