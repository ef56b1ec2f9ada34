package dockertest

import (
	"os/exec"
	"runtime"
	"syscall"
)

// DieWithTest makes a server a test starts (moto, docker-registry) end when the test process ends,
// even when it is killed (a timeout, a cancelled CI job) before its cleanup can run. Start the command
// with StartWithTest: the signal follows the thread that forked it.
func DieWithTest(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

// startAndWait starts cmd from a goroutine that holds its OS thread until cmd has ended. Linux sends
// the parent-death signal when the thread that forked the child ends, not the process, and Go ends the
// thread of a locked goroutine that exits (the sandbox's tests do that): started from any thread, a
// server could be killed mid-test.
func startAndWait(cmd *exec.Cmd, started chan<- error, done chan<- error) {
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with this goroutine, after cmd
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		done <- cmd.Wait()
	}()
}
