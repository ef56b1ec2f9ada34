package actionkit

import (
	"fmt"
	"os"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// moveInputsOutOfEnvironment starts this program again, in this process (execve of /proc/self/exe,
// same pid, same arguments), with its INPUT_* and ACTIONS_* variables moved into an anonymous
// in-memory file (memfd_create) whose descriptor inputsFDEnv names. It returns only when there is
// nothing to move (none there, or moved already) or the move failed, which it reports on stderr: the
// run goes on with them in the environment, as it would without the move.
func moveInputsOutOfEnvironment() {
	if os.Getenv(inputsFDEnv) != "" {
		return
	}
	inputs, rest := splitInputs(os.Environ())
	if len(inputs) == 0 {
		return
	}
	fd, err := unix.MemfdCreate("slipway-inputs", 0) // no MFD_CLOEXEC: the new image inherits it
	if err != nil {
		moveFailed(err)
		return
	}
	f := os.NewFile(uintptr(fd), "slipway-inputs")
	if _, err := f.Write(encodeInputs(inputs)); err != nil {
		_ = f.Close()
		moveFailed(err)
		return
	}
	err = syscall.Exec("/proc/self/exe", os.Args, append(rest, inputsFDEnv+"="+strconv.Itoa(fd)))
	_ = f.Close()
	moveFailed(err)
}

func moveFailed(err error) {
	fmt.Fprintf(os.Stderr, "slipway: the inputs could not be moved out of the environment (%v); a process this run starts could read them from /proc\n", err)
}

func closeOnExec(fd int) { syscall.CloseOnExec(fd) }
