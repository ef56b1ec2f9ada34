//go:build !linux

package sandbox

import "os/exec"

// canDrop is false where there is no Linux credential to drop: commands run as they are.
func canDrop() bool { return false }

func run(cmd *exec.Cmd, _ Options) error { return cmd.Run() }
