//go:build !linux

package dockertest

import "os/exec"

// DieWithTest is Linux's parent-death signal; elsewhere the test's cleanup alone stops the server.
func DieWithTest(*exec.Cmd) {}

func startAndWait(cmd *exec.Cmd, started chan<- error, done chan<- error) {
	if err := cmd.Start(); err != nil {
		started <- err
		return
	}
	started <- nil
	go func() { done <- cmd.Wait() }()
}

// Listens cannot tell outside Linux: it trusts the server that answers.
func Listens(pid, port int) bool { return true }
