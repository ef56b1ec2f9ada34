package dockertest

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
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

// Listens reports whether process pid holds the listening TCP socket on 127.0.0.1:port. A server a test
// starts on a port it found free may lose that port to another test's server before it binds; the one
// answering there is then the other's, and this says so (from /proc/net/tcp and the process's fds).
func Listens(pid, port int) bool {
	b, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		return false
	}
	local := fmt.Sprintf("0100007F:%04X", port)
	var inodes []string
	for _, line := range strings.Split(string(b), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) > 9 && f[1] == local && f[3] == "0A" { // 0A: LISTEN
			inodes = append(inodes, "socket:["+f[9]+"]")
		}
	}
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return false
	}
	for _, fd := range fds {
		if target, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name())); err == nil && slices.Contains(inodes, target) {
			return true
		}
	}
	return false
}
