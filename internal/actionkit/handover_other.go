//go:build !linux

package actionkit

// moveInputsOutOfEnvironment does nothing where there is no /proc/<pid>/environ to read them from
// and no memfd_create to move them to.
func moveInputsOutOfEnvironment() {}

// closeOnExec has nothing to do: no descriptor is handed over here.
func closeOnExec(int) {}
