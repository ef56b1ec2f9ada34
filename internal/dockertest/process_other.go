//go:build !linux

package dockertest

import "os/exec"

// DieWithTest is Linux's parent-death signal; elsewhere the test's cleanup alone stops the server.
func DieWithTest(*exec.Cmd) {}
