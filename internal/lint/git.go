package lint

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/slipway-actions/slipway/internal/process"
)

// git runs git in dir. Every call says the repository is safe: in a container action the checkout
// belongs to the runner's user (uid 1001) while git runs as the sandbox user, and git refuses such
// a repository ("detected dubious ownership") unless safe.directory names it. It is given on the
// command line, for this call only; no config file is written. Paths print unquoted
// (core.quotePath=false), so a non-ASCII file name reads as itself.
func git(ctx context.Context, dir string, args ...string) (string, error) {
	argv := []string{"git", "-c", "core.quotePath=false"}
	for _, top := range repositoryRoots(dir) {
		argv = append(argv, "-c", "safe.directory="+top)
	}
	o, err := process.Run(ctx, process.Command{Argv: append(argv, args...), Dir: dir,
		Env: process.Environ(os.Getenv).Linter("GIT_TERMINAL_PROMPT=0", "GIT_CONFIG_NOSYSTEM=1")})
	if err == nil && o.Code != 0 {
		err = errors.New(strings.TrimSpace(o.Stderr))
	}
	if err != nil {
		return "", fmt.Errorf("git %s: %w", strings.Join(args, " "), err)
	}
	return strings.TrimRight(o.Stdout, "\n"), nil
}

// repositoryRoots finds the work tree that holds dir (the nearest directory above it with a .git)
// without asking git, which would refuse to answer; both its path and its resolved path, since git
// compares safe.directory with the path it computes.
func repositoryRoots(dir string) []string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil
	}
	for d := abs; ; d = filepath.Dir(d) {
		if _, err := os.Lstat(filepath.Join(d, ".git")); err == nil {
			roots := []string{d}
			if real, err := filepath.EvalSymlinks(d); err == nil && real != d {
				roots = append(roots, real)
			}
			return roots
		}
		if filepath.Dir(d) == d {
			return nil
		}
	}
}
