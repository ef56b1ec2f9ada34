package workspace

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Resolve turns a path an input gives, relative to the workspace or absolute, into an absolute path
// inside the workspace, and refuses one that leaves it, by ".." or through a symbolic link: inputs may
// name files of the checkout, never files beside it (a task definition input of "../../etc/passwd").
func Resolve(workspace, p string) (string, error) {
	abs := p
	if !filepath.IsAbs(p) {
		abs = filepath.Join(workspace, p)
	}
	abs = filepath.Clean(abs)
	if !within(workspace, abs) {
		return "", fmt.Errorf("%q is outside the workspace %s", p, workspace)
	}
	// The lexical check passed; a link inside the workspace may still point out of it, at the path
	// itself or at any directory above it. A path that does not exist yet (a report to write) is
	// judged by its nearest existing ancestor: a committed link there would redirect the write.
	existing := abs
	for {
		_, err := os.Lstat(existing)
		if err == nil {
			break
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("%q: %w", p, err)
		}
		if existing == filepath.Clean(workspace) {
			return abs, nil // nothing of it exists yet, not even the workspace: no link to follow
		}
		existing = filepath.Dir(existing)
	}
	real, err := filepath.EvalSymlinks(existing)
	if err != nil {
		return "", fmt.Errorf("%q: %w", p, err)
	}
	realWS, err := filepath.EvalSymlinks(workspace)
	if err != nil {
		realWS = workspace
	}
	if !within(realWS, real) {
		return "", fmt.Errorf("%q leads through a link to %s, outside the workspace %s", p, real, workspace)
	}
	return abs, nil
}

// within reports whether p is dir or below it; both are clean absolute paths.
func within(dir, p string) bool {
	r, err := filepath.Rel(dir, p)
	return err == nil && r != ".." && !strings.HasPrefix(r, ".."+string(filepath.Separator))
}

// Rel is how an output names a file inside the workspace: relative to it, so that the next step of the
// job finds the file whether it runs on the host or in a container action, where the same checkout is
// mounted at another path (/github/workspace). A path outside the workspace is returned as it is.
func Rel(workspace, p string) string {
	if !filepath.IsAbs(p) {
		return filepath.ToSlash(filepath.Clean(p))
	}
	if r, err := filepath.Rel(workspace, p); err == nil && within(workspace, filepath.Clean(p)) {
		return filepath.ToSlash(r)
	}
	return p
}
