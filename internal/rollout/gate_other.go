//go:build !unix

package rollout

import "os/exec"

// killGroupOnCancel leaves cmd as it is where there are no process groups: the end of its
// context kills the shell alone, and WaitDelay bounds the wait for its children's output.
func killGroupOnCancel(*exec.Cmd) {}

// killGroup has no group to end where there are no process groups.
func killGroup(*exec.Cmd) {}
