//go:build !linux

package actionkit

import "os/exec"

// dieWithParent is Linux's parent-death signal; elsewhere a killed parent leaves the child to finish.
func dieWithParent(*exec.Cmd) {}
