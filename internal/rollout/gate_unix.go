//go:build unix

package rollout

import (
	"os/exec"
	"syscall"
)

// killGroupOnCancel starts cmd as the leader of a new process group and makes the end of its
// context kill the whole group.
func killGroupOnCancel(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
}

// killGroup ends whatever of the gate's process group is still running once the check has its
// verdict: a gate is a check, and a process it left in the background would run on beside the rollout.
func killGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
