package sandbox

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// handover is a directory handed to the sandbox user for one command, and its owner before.
type handover struct {
	dir      string
	uid, gid int
}

// give makes dir (and its parents, as root) if missing and hands it, with everything in it, to the
// sandbox user. It refuses a dir that is a link: it would hand over wherever that points.
func give(dir string) (*handover, error) {
	if !filepath.IsAbs(dir) {
		return nil, fmt.Errorf("sandbox: %q is not an absolute directory", dir)
	}
	owner := dir
	for {
		if _, err := os.Lstat(owner); err == nil || filepath.Dir(owner) == owner {
			break
		}
		owner = filepath.Dir(owner)
	}
	var st unix.Stat_t
	if err := unix.Lstat(owner, &st); err != nil {
		return nil, fmt.Errorf("sandbox: hand %s over: %w", dir, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("sandbox: hand %s over: %w", dir, err)
	}
	h := &handover{dir: dir, uid: int(st.Uid), gid: int(st.Gid)}
	if err := chownTree(dir, UID, GID); err != nil {
		return nil, errors.Join(fmt.Errorf("sandbox: hand %s over: %w", dir, err), h.takeBack())
	}
	return h, nil
}

// takeBack gives the directory and all that is in it, the command's files too, to its owner from
// before the handover: no later command in the sandbox can change them.
func (h *handover) takeBack() error {
	if err := chownTree(h.dir, h.uid, h.gid); err != nil {
		return fmt.Errorf("sandbox: take %s back from the sandbox user: %w", h.dir, err)
	}
	return nil
}

// chownTree gives dir and everything below it to uid:gid. The sandbox user may have written there,
// so nothing is reached through a link (every entry is opened relative to its directory, never
// following a link, and changed through that descriptor), and a file with more than one name is
// left as it is: it may be a hard link to a file elsewhere.
func chownTree(dir string, uid, gid int) error {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return &fs.PathError{Op: "open", Path: dir, Err: err}
	}
	return chownDir(fd, dir, uid, gid)
}

// chownDir changes the directory open as fd (named path, for errors) and its entries; it closes fd.
func chownDir(fd int, path string, uid, gid int) error {
	d := os.NewFile(uintptr(fd), path)
	defer d.Close()
	if err := unix.Fchown(fd, uid, gid); err != nil {
		return &fs.PathError{Op: "chown", Path: path, Err: err}
	}
	names, err := d.Readdirnames(-1)
	if err != nil {
		return err
	}
	for _, name := range names {
		if err := chownEntry(fd, filepath.Join(path, name), name, uid, gid); err != nil {
			return err
		}
	}
	return nil
}

// chownEntry changes the entry name of the directory open as dirfd; an entry gone meanwhile is
// no error.
func chownEntry(dirfd int, path, name string, uid, gid int) error {
	fd, err := unix.Openat(dirfd, name, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if errors.Is(err, unix.ENOENT) {
		return nil
	}
	if err != nil {
		return &fs.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return &fs.PathError{Op: "stat", Path: path, Err: err}
	}
	switch {
	case st.Mode&unix.S_IFMT == unix.S_IFDIR:
		sub, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if errors.Is(err, unix.ENOENT) {
			return nil
		}
		if err != nil {
			return &fs.PathError{Op: "open", Path: path, Err: err}
		}
		return chownDir(sub, path, uid, gid)
	case st.Nlink > 1:
		return nil
	}
	if err := unix.Fchownat(fd, "", uid, gid, unix.AT_EMPTY_PATH); err != nil {
		return &fs.PathError{Op: "chown", Path: path, Err: err}
	}
	return nil
}
