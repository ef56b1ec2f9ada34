package lint

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
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
// complete). An entry that would land outside dir, or go through a link, is refused: the archive
// comes from a cache.
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
		name := filepath.FromSlash(hdr.Name)
		if !filepath.IsLocal(name) {
			return fmt.Errorf("entry %q leaves the environment", hdr.Name)
		}
		for d := filepath.Dir(name); d != "."; d = filepath.Dir(d) {
			if links[d] {
				return fmt.Errorf("entry %q goes through the link %q", hdr.Name, d)
			}
		}
		target := filepath.Join(tmp, name)
		mode := hdr.FileInfo().Mode()
		switch hdr.Typeflag {
		case tar.TypeDir:
			err = os.MkdirAll(target, mode.Perm()|0o700)
		case tar.TypeSymlink:
			links[name] = true
			err = os.Symlink(hdr.Linkname, target)
		case tar.TypeReg:
			err = writeEntry(target, tr, mode.Perm())
		default:
			err = fmt.Errorf("entry %q is neither a file, a directory nor a link", hdr.Name)
		}
		if err != nil {
			return err
		}
	}
	return os.Rename(tmp, dir)
}

func writeEntry(target string, r io.Reader, perm fs.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return err
	}
	out, err := os.OpenFile(target, os.O_CREATE|os.O_EXCL|os.O_WRONLY, perm)
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
