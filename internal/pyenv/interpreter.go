package pyenv

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/slipway-actions/slipway/internal/process"
)

// distributionsScript prints, as JSON, the version and location of each distribution named.
const distributionsScript = `import importlib.metadata as m, json, sys
out = {}
for n in sys.argv[1:]:
    try:
        d = m.distribution(n)
    except m.PackageNotFoundError:
        continue
    out[n] = {"version": d.version, "location": str(d.locate_file(""))}
print(json.dumps(out))`

// Distributions asks an interpreter which of dists it imports (getenv: nil is os.Getenv).
func Distributions(ctx context.Context, python string, getenv func(string) string, dists []string) (map[string]Distribution, error) {
	o, err := process.Run(ctx, process.Command{Argv: append([]string{python, "-c", distributionsScript}, dists...), Dir: process.NeutralDir, Env: process.Environ(getenv).Query()})
	if err != nil {
		return nil, err
	}
	if o.Code != 0 {
		return nil, fmt.Errorf("%s: %s", python, process.Tail(o.Stderr, 5))
	}
	out := map[string]Distribution{}
	if err := json.Unmarshal([]byte(o.Stdout), &out); err != nil {
		return nil, fmt.Errorf("%s: %w", python, err)
	}
	return out, nil
}

// baseInterpreter is the interpreter of the image's linters (the first of executables found on PATH
// that is a Python script), so that the environment sees their packages; else python3 on PATH.
func baseInterpreter(getenv process.Environ, executables []string) string {
	for _, name := range executables {
		if bin := process.LookPath(getenv, name); bin != "" {
			if py := ScriptInterpreter(bin, getenv); py != "" {
				return py
			}
		}
	}
	return process.LookPath(getenv, "python3")
}

// ScriptInterpreter reads the Python interpreter of a script from its #! line: an absolute path, or
// env python3 (found on the PATH getenv gives; nil is os.Getenv); "" for a binary or any other
// script.
func ScriptInterpreter(file string, getenv func(string) string) string {
	f, err := os.Open(file)
	if err != nil {
		return ""
	}
	defer f.Close()
	head := make([]byte, 256)
	n, _ := io.ReadFull(f, head)
	line, _, _ := strings.Cut(string(head[:n]), "\n")
	fields := strings.Fields(strings.TrimPrefix(line, "#!"))
	if !strings.HasPrefix(line, "#!") || len(fields) == 0 {
		return ""
	}
	if filepath.Base(fields[0]) == "env" && len(fields) > 1 {
		fields = []string{process.LookPath(process.Environ(getenv), fields[1])}
	}
	if !strings.HasPrefix(filepath.Base(fields[0]), "python") {
		return ""
	}
	return fields[0]
}
