package junit

import (
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
)

// Root is a directory of the test container that holds files of the repository: a bind mount, or
// the working directory an image's build context was copied to.
type Root struct {
	Container string // absolute path in the container, e.g. /srv
	Host      string // the directory it comes from, as this process sees it, e.g. <workspace>/api
}

// Locator maps the file a report names (as the test saw it inside its container: tests/test_api.py,
// or /srv/tests/test_api.py) to the file of the repository, so that an annotation lands on the pull
// request's diff. It tries, in order: the roots (relative paths start at WorkingDir); the path as a
// path of the workspace; and a unique suffix match among the workspace's files, longest suffix
// first, as mikepenz/action-junit-report resolves its files. A file it cannot place is returned as
// the report names it.
type Locator struct {
	Workspace  string
	WorkingDir string // the test container's working directory
	Roots      []Root

	once  sync.Once
	files []string // the workspace's files, slash-separated and relative, read once on demand
}

// maxFiles bounds the walk of a huge workspace.
const maxFiles = 200_000

// skipDirs are never searched: they hold no test sources of the repository.
var skipDirs = map[string]bool{".git": true, "node_modules": true, ".venv": true, "__pycache__": true, ".mypy_cache": true, ".tox": true}

// Place moves a failing case's file and line to the repository: the last frame of its traceback
// that is a file of the workspace (a library's frame, such as /usr/lib/python3/…, is passed over),
// or its own file when no frame is.
func (l *Locator) Place(c *Case) {
	for i := len(c.Frames) - 1; i >= 0; i-- {
		if f, ok := l.find(c.Frames[i].File); ok {
			c.File, c.Line = f, c.Frames[i].Line
			return
		}
	}
	c.File = l.Find(c.File)
}

// Find returns file as a path relative to the workspace, or file unchanged when it cannot be placed.
func (l *Locator) Find(file string) string {
	f, _ := l.find(file)
	return f
}

func (l *Locator) find(file string) (string, bool) {
	if file == "" || l.Workspace == "" {
		return file, false
	}
	in := path.Clean(filepath.ToSlash(file))
	abs := in
	if !path.IsAbs(abs) {
		abs = path.Join(cmpOr(l.WorkingDir, "/"), in)
	}
	best, found := "", ""
	for _, r := range l.Roots {
		c := path.Clean(r.Container)
		if rest, ok := strings.CutPrefix(abs, strings.TrimSuffix(c, "/")+"/"); ok && len(c) > len(best) {
			if rel, ok := l.existing(filepath.Join(r.Host, filepath.FromSlash(rest))); ok {
				best, found = c, rel
			}
		}
	}
	if best != "" {
		return found, true
	}
	if !path.IsAbs(in) && !strings.HasPrefix(in, "../") {
		if rel, ok := l.existing(filepath.Join(l.Workspace, filepath.FromSlash(in))); ok {
			return rel, true
		}
	}
	return l.bySuffix(strings.TrimPrefix(abs, "/"), file)
}

// existing returns p relative to the workspace when it is a regular file inside it.
func (l *Locator) existing(p string) (string, bool) {
	rel, err := filepath.Rel(l.Workspace, p)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", false
	}
	if fi, err := os.Stat(p); err != nil || !fi.Mode().IsRegular() {
		return "", false
	}
	return filepath.ToSlash(rel), true
}

// bySuffix looks for the one workspace file whose path ends with the longest suffix of p.
func (l *Locator) bySuffix(p, fallback string) (string, bool) {
	l.once.Do(l.walk)
	parts := strings.Split(p, "/")
	// A bare file name stands for itself; a longer path keeps a directory, so that a library's
	// /usr/lib/python3.11/unittest/case.py is never taken for a repository's only case.py.
	for i := range max(1, len(parts)-1) {
		suffix := strings.Join(parts[i:], "/")
		var match string
		n := 0
		for _, f := range l.files {
			if f == suffix || strings.HasSuffix(f, "/"+suffix) {
				match = f
				n++
			}
		}
		switch {
		case n == 1:
			return match, true
		case n > 1:
			return fallback, false // ambiguous: a shorter suffix would only be more so
		}
	}
	return fallback, false
}

func (l *Locator) walk() {
	_ = filepath.WalkDir(l.Workspace, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() {
			if skipDirs[d.Name()] && p != l.Workspace {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		if len(l.files) >= maxFiles {
			return filepath.SkipAll
		}
		if rel, err := filepath.Rel(l.Workspace, p); err == nil {
			l.files = append(l.files, filepath.ToSlash(rel))
		}
		return nil
	})
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
