package actionkit

import (
	"fmt"
	"path/filepath"
	"strings"
)

// WorkspacePath resolves a path an input gives relative to the workspace (GITHUB_WORKSPACE), and
// refuses one that leaves it: inputs may name files of the checkout, never files beside it.
func WorkspacePath(workspace, p string) (string, error) {
	abs := p
	if !filepath.IsAbs(p) {
		abs = filepath.Join(workspace, p)
	}
	abs = filepath.Clean(abs)
	r, err := filepath.Rel(workspace, abs)
	if err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("%q is outside the workspace %s", p, workspace)
	}
	return abs, nil
}
