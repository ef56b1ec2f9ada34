package lint

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// archive writes the directory dir into a tar file at file (replacing it at once, when complete),
// and removes the other archives beside it: the cached directory holds the one environment in use.
func archive(dir, file string) error {
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return err
	}
	EnsureIgnored(filepath.Dir(filepath.Dir(file)))
	tmp, err := os.CreateTemp(filepath.Dir(file), ".venv-*.tar.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	// The cache step after the action runs as the runner's user, not as the container's root.
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	tw := tar.NewWriter(tmp)
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if rel == "." || d.Name() == "__pycache__" && d.IsDir() {
			if rel != "." {
				return filepath.SkipDir // Python rewrites these where it runs
			}
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		link := ""
		if info.Mode()&fs.ModeSymlink != 0 {
			if link, err = os.Readlink(p); err != nil {
				return err
			}
		}
		hdr, err := tar.FileInfoHeader(info, link)
		if err != nil {
			return err
		}
		hdr.Name = filepath.ToSlash(rel)
		hdr.Uname, hdr.Gname, hdr.Uid, hdr.Gid = "", "", 0, 0
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if info.Mode().IsRegular() {
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			_, err = io.Copy(tw, f)
			f.Close()
			return err
		}
		return nil
	})
	if err == nil {
		err = tw.Close()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), file); err != nil {
		return err
	}
	others, _ := filepath.Glob(filepath.Join(filepath.Dir(file), "*.tar"))
	for _, o := range others {
		if o != file {
			os.Remove(o)
		}
	}
	return nil
}

// unpack extracts an archive made by archive into dir (through a temporary sibling, renamed when
// complete). The archive comes from a cache, so it is read as untrusted: every entry is written
// through an os.Root of the directory (nothing can be made outside it, even through a link), its
// name must be the one canonical spelling of a path inside (no "./lnk" that a later "lnk/x" would
// not recognise as the same link), and no entry may go through a link or be a device.
func unpack(file, dir string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	tmp, err := os.MkdirTemp(filepath.Dir(dir), ".unpack-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	root, err := os.OpenRoot(tmp)
	if err != nil {
		return err
	}
	defer root.Close()
	links := map[string]bool{}
	tr := tar.NewReader(f)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		name, err := entryName(hdr.Name)
		if err != nil {
			return err
		}
		for d := path.Dir(name); d != "."; d = path.Dir(d) {
			if links[d] {
				return fmt.Errorf("entry %q goes through the link %q", hdr.Name, d)
			}
		}
		mode := hdr.FileInfo().Mode()
		switch hdr.Typeflag {
		case tar.TypeDir:
			err = root.MkdirAll(name, mode.Perm()|0o700)
		case tar.TypeSymlink:
			links[name] = true
			err = root.Symlink(hdr.Linkname, name)
		case tar.TypeReg:
			err = writeEntry(root, name, tr, mode.Perm())
		default:
			err = fmt.Errorf("entry %q is neither a file, a directory nor a link", hdr.Name)
		}
		if err != nil {
			return err
		}
	}
	if err := root.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, dir)
}

// entryName is an archive entry's name as a slash path inside the environment, refused unless it
// is the canonical spelling archive writes: relative, clean (no ".", "..", or doubled slash), so
// that one path has one name and the link check cannot be sidestepped.
func entryName(name string) (string, error) {
	n := strings.TrimSuffix(name, "/")
	if n == "" || !filepath.IsLocal(filepath.FromSlash(n)) {
		return "", fmt.Errorf("entry %q leaves the environment", name)
	}
	if path.Clean(n) != n {
		return "", fmt.Errorf("entry %q is not a canonical path (%q): refused", name, path.Clean(n))
	}
	return n, nil
}

func writeEntry(root *os.Root, name string, r io.Reader, perm fs.FileMode) error {
	if err := root.MkdirAll(path.Dir(name), 0o755); err != nil {
		return err
	}
	out, err := root.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, perm)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, r)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}

// EnsureIgnored writes a .gitignore of "*" into dir (a cache or report directory of the workspace),
// as mypy does in its cache, so git status stays clean and nothing there is committed by accident.
func EnsureIgnored(dir string) {
	file := filepath.Join(dir, ".gitignore")
	if !exists(file) {
		_ = os.WriteFile(file, []byte("# written by slipway lint-python: a cache, never committed\n*\n"), 0o644)
	}
}
