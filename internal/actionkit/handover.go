package actionkit

import (
	"io"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
)

// The runner gives a container action its inputs as INPUT_* environment variables, secrets
// included, and its own tokens as ACTIONS_* (ACTIONS_RUNTIME_TOKEN for caches and artifacts,
// ACTIONS_ID_TOKEN_REQUEST_TOKEN, which mints OIDC tokens for clouds). A process's environment is
// readable by every process of the same user through /proc/<pid>/environ, which shows the
// environment the process started with, whatever it unsets later: so a command an action runs (a
// gate, a linter plugin, a package's build script) could read them from /proc/1/environ. Guard
// therefore starts the program again (execve) with those variables moved out of its environment into
// an anonymous in-memory file whose descriptor it names in inputsFDEnv; the guarded child reads it
// once, closes it, and the Kit reads them from what it read (Kit.Getenv). No process of the tree
// then holds one in its environment. Every input is moved, not only those read as secrets:
// action.yml cannot say which are, and a user may put a secret into any of them (a token in a URL).
const inputsFDEnv = "SLIPWAY_INPUTS_FD"

// movedPrefixes start the variables moved out of the environment: the inputs, and the runner's tokens.
var movedPrefixes = []string{"INPUT_", "ACTIONS_"}

// handedInputs are the inputs this process received through the descriptor; nil when none were.
var handedInputs atomic.Pointer[map[string]string]

// processGetenv is the Kit's default environment: the process's own, with the inputs that were
// moved out of it.
func processGetenv(key string) string {
	if in := handedInputs.Load(); in != nil {
		if v, ok := (*in)[key]; ok {
			return v
		}
	}
	return os.Getenv(key)
}

// splitInputs separates the variables to move (movedPrefixes) of an environment from the rest.
func splitInputs(environ []string) (inputs, rest []string) {
next:
	for _, kv := range environ {
		for _, p := range movedPrefixes {
			if strings.HasPrefix(kv, p) {
				inputs = append(inputs, kv)
				continue next
			}
		}
		rest = append(rest, kv)
	}
	return inputs, rest
}

// encodeInputs writes variables as an environment block is written: each NAME=value ends with a
// NUL, which no environment variable can hold.
func encodeInputs(vars []string) []byte {
	var b strings.Builder
	for _, kv := range vars {
		b.WriteString(kv)
		b.WriteByte(0)
	}
	return []byte(b.String())
}

func decodeInputs(data []byte) map[string]string {
	in := map[string]string{}
	for _, kv := range strings.Split(string(data), "\x00") {
		if k, v, ok := strings.Cut(kv, "="); ok && k != "" {
			in[k] = v
		}
	}
	return in
}

// inheritedInputs is the descriptor of the inputs this process was started with, made
// close-on-exec so that no process it starts inherits it unasked; nil when there is none.
func inheritedInputs() *os.File {
	fd, err := strconv.Atoi(os.Getenv(inputsFDEnv))
	if err != nil || fd < 3 {
		return nil
	}
	closeOnExec(fd)
	return os.NewFile(uintptr(fd), "slipway-inputs")
}

// receiveInputs reads the inputs handed over in f (inheritedInputs; nil for none), once, and
// closes it, before anything else runs.
func receiveInputs(f *os.File) {
	_ = os.Unsetenv(inputsFDEnv)
	if f == nil {
		return
	}
	defer f.Close()
	data, err := io.ReadAll(io.NewSectionReader(f, 0, 1<<40)) // from the start, whoever read it before
	if err != nil {
		return
	}
	in := decodeInputs(data)
	handedInputs.Store(&in)
}

// withoutVar is environ without the variable name.
func withoutVar(environ []string, name string) []string {
	var out []string
	for _, kv := range environ {
		if !strings.HasPrefix(kv, name+"=") {
			out = append(out, kv)
		}
	}
	return out
}
