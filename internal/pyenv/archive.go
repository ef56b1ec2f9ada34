package pyenv

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// manifestName is the last entry of an environment's archive, and the file in an unpacked
// environment that says it is complete: the key it was made for and every other entry, with its
// content's SHA-256. An archive, or a directory, that is not exactly what its manifest says is
// never run (see Install).
const manifestName = ".slipway-manifest.json"

// manifest describes an environment: its key and its entries (directories, files, links), by name.
type manifest struct {
	Version int             `json:"version"`
	Key     string          `json:"key"`
	Entries []manifestEntry `json:"entries"`
}

// manifestEntry is one entry of an environment.
type manifestEntry struct {
	Name   string `json:"name"` // slash path relative to the environment
	Type   string `json:"type"` // dir, file or link
	Mode   uint32 `json:"mode"` // permission bits
	Size   int64  `json:"size,omitempty"`
	SHA256 string `json:"sha256,omitempty"`
	Link   string `json:"link,omitempty"`
}

const manifestVersion = 1

// archive writes the directory dir into a tar file at file (replacing it at once, when complete),
// with its manifest for key as the last entry, and removes the other archives beside it: the cached
// directory holds the one environment in use. It returns the manifest.
func archive(dir, file, key string) (*manifest, error) {
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return nil, err
	}
	EnsureIgnored(filepath.Dir(filepath.Dir(file)))
	tmp, err := os.CreateTemp(filepath.Dir(file), ".venv-*.tar.tmp")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	// The cache step after the action runs as the runner's user, not as the container's root.
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return nil, err
	}
	m := &manifest{Version: manifestVersion, Key: key}
	tw := tar.NewWriter(tmp)
	err = walkEnvironment(dir, func(rel string, info fs.FileInfo, link string) error {
		hdr, err := tar.FileInfoHeader(info, link)
		if err != nil {
			return err
		}
		hdr.Name = rel
		hdr.Uname, hdr.Gname, hdr.Uid, hdr.Gid = "", "", 0, 0
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		e := manifestEntry{Name: rel, Type: entryType(info.Mode()), Mode: uint32(info.Mode().Perm()), Link: link}
		if info.Mode().IsRegular() {
			f, err := os.Open(filepath.Join(dir, filepath.FromSlash(rel)))
			if err != nil {
				return err
			}
			h := sha256.New()
			e.Size, err = io.Copy(io.MultiWriter(tw, h), f)
			f.Close()
			if err != nil {
				return err
			}
			e.SHA256 = hex.EncodeToString(h.Sum(nil))
		}
		m.Entries = append(m.Entries, e)
		return nil
	})
	if err == nil {
		err = writeManifestEntry(tw, m)
	}
	if err == nil {
		err = tw.Close()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	if err := os.Rename(tmp.Name(), file); err != nil {
		return nil, err
	}
	others, _ := filepath.Glob(filepath.Join(filepath.Dir(file), "*.tar"))
	for _, o := range others {
		if o != file {
			os.Remove(o)
		}
	}
	return m, nil
}

// walkEnvironment calls fn for every entry below dir in lexical order, as a slash path, with its
// link target for a link; not __pycache__ (Python rewrites it where it runs) nor the manifest.
func walkEnvironment(dir string, fn func(rel string, info fs.FileInfo, link string) error) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		switch {
		case rel == ".":
			return nil
		case d.IsDir() && d.Name() == "__pycache__":
			return filepath.SkipDir
		case rel == manifestName:
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
		return fn(filepath.ToSlash(rel), info, link)
	})
}

func entryType(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "dir"
	case m&fs.ModeSymlink != 0:
		return "link"
	case m.IsRegular():
		return "file"
	}
	return "other"
}

func writeManifestEntry(tw *tar.Writer, m *manifest) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Name: manifestName, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(b))}); err != nil {
		return err
	}
	_, err = tw.Write(b)
	return err
}

// writeManifest writes m into the environment dir: it is complete.
func writeManifest(dir string, m *manifest) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, manifestName+".tmp")
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, manifestName))
}

// errIncomplete says an environment directory has no manifest: it was never finished.
var errIncomplete = errors.New("no manifest")

// verifyDir checks that the environment dir is what its manifest says, made for key: the same
// entries, each of the same type, mode, size, content and link target.
func verifyDir(dir, key string) error {
	b, err := os.ReadFile(filepath.Join(dir, manifestName))
	if err != nil {
		return fmt.Errorf("%w: %w", errIncomplete, err)
	}
	var m manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("manifest: %w", err)
	}
	var got []manifestEntry
	err = walkEnvironment(dir, func(rel string, info fs.FileInfo, link string) error {
		e := manifestEntry{Name: rel, Type: entryType(info.Mode()), Mode: uint32(info.Mode().Perm()), Link: link}
		if info.Mode().IsRegular() {
			f, err := os.Open(filepath.Join(dir, filepath.FromSlash(rel)))
			if err != nil {
				return err
			}
			h := sha256.New()
			e.Size, err = io.Copy(h, f)
			f.Close()
			if err != nil {
				return err
			}
			e.SHA256 = hex.EncodeToString(h.Sum(nil))
		}
		got = append(got, e)
		return nil
	})
	if err != nil {
		return err
	}
	return m.matches(key, got)
}

// matches reports how entries differ from the manifest, or its key from key; nil when they do not.
func (m *manifest) matches(key string, entries []manifestEntry) error {
	if m.Version != manifestVersion || m.Key != key {
		return fmt.Errorf("its manifest is for environment %q (version %d), not %q", m.Key, m.Version, key)
	}
	want := make(map[string]manifestEntry, len(m.Entries))
	for _, e := range m.Entries {
		want[e.Name] = e
	}
	seen := make(map[string]bool, len(entries))
	for _, e := range entries {
		w, ok := want[e.Name]
		switch {
		case !ok:
			return fmt.Errorf("%q is not in its manifest", e.Name)
		case seen[e.Name]:
			return fmt.Errorf("%q is there twice", e.Name)
		case w != e:
			return fmt.Errorf("%q is not what its manifest says (%s %o %d bytes sha256 %.12s, manifest: %s %o %d bytes sha256 %.12s)",
				e.Name, e.Type, e.Mode, e.Size, e.SHA256, w.Type, w.Mode, w.Size, w.SHA256)
		}
		seen[e.Name] = true
	}
	for _, e := range m.Entries {
		if !seen[e.Name] {
			return fmt.Errorf("%q of its manifest is missing", e.Name)
		}
	}
	return nil
}

// unpack extracts an archive made by archive for key into dir (through a temporary sibling,
// renamed when complete and verified). The archive comes from a cache, so it is read as untrusted:
// every entry is written through an os.Root of the directory (nothing can be made outside it, even
// through a link), its name must be the one canonical spelling of a path inside (no "./lnk" that a
// later "lnk/x" would not recognise as the same link), no entry may go through a link or be a
// device; and the whole must be exactly what the manifest, its last entry, says for key: the same
// entries with the same content. Nothing in it runs before all of that holds.
func unpack(file, dir, key string) error {
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
	// The environment's interpreter and linters run as the sandbox user: it must enter it.
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	root, err := os.OpenRoot(tmp)
	if err != nil {
		return err
	}
	defer root.Close()
	m, got, err := extract(f, root)
	if err != nil {
		return err
	}
	if err := m.matches(key, got); err != nil {
		return err
	}
	// Directories were made writable for their entries; now they get the mode the manifest says.
	for _, e := range m.Entries {
		if e.Type == "dir" {
			if err := root.Chmod(e.Name, fs.FileMode(e.Mode)); err != nil {
				return err
			}
		}
	}
	if err := writeManifest(tmp, m); err != nil {
		return err
	}
	if err := root.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, dir)
}

// extract writes the entries of the archive r through root, and returns its manifest (the last
// entry, which is not written) and the entries written.
func extract(r io.Reader, root *os.Root) (*manifest, []manifestEntry, error) {
	x := &extraction{root: root, links: map[string]bool{}}
	var m *manifest
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, err
		}
		if m != nil {
			return nil, nil, fmt.Errorf("entry %q follows the manifest", hdr.Name)
		}
		if hdr.Name == manifestName {
			if m, err = readManifest(tr, hdr); err != nil {
				return nil, nil, err
			}
			continue
		}
		if err := x.add(hdr, tr); err != nil {
			return nil, nil, err
		}
	}
	if m == nil {
		return nil, nil, errors.New("it has no manifest")
	}
	return m, x.entries, nil
}

// extraction is an archive being written through an os.Root: the links written so far (no later
// entry may go through one) and the entries written, as the manifest describes them.
type extraction struct {
	root    *os.Root
	links   map[string]bool
	entries []manifestEntry
}

// add writes one entry of the archive (its content in r), refused unless its name is canonical,
// it goes through no link, and it is a directory, a file or a link.
func (x *extraction) add(hdr *tar.Header, r io.Reader) error {
	name, err := entryName(hdr.Name)
	if err != nil {
		return err
	}
	for d := path.Dir(name); d != "."; d = path.Dir(d) {
		if x.links[d] {
			return fmt.Errorf("entry %q goes through the link %q", hdr.Name, d)
		}
	}
	mode := hdr.FileInfo().Mode()
	e := manifestEntry{Name: name, Mode: uint32(mode.Perm())}
	switch hdr.Typeflag {
	case tar.TypeDir:
		e.Type = "dir"
		err = x.root.MkdirAll(name, mode.Perm()|0o700)
	case tar.TypeSymlink:
		e.Type, e.Link = "link", hdr.Linkname
		x.links[name] = true
		err = x.root.Symlink(hdr.Linkname, name)
	case tar.TypeReg:
		e.Type = "file"
		e.Size, e.SHA256, err = writeEntry(x.root, name, r, mode.Perm())
	default:
		err = fmt.Errorf("entry %q is neither a file, a directory nor a link", hdr.Name)
	}
	if err != nil {
		return err
	}
	x.entries = append(x.entries, e)
	return nil
}

// readManifest reads the manifest entry (at most 64 MiB of JSON).
func readManifest(r io.Reader, hdr *tar.Header) (*manifest, error) {
	if hdr.Typeflag != tar.TypeReg || hdr.Size > 64<<20 {
		return nil, errors.New("its manifest is not a file of JSON")
	}
	var m manifest
	if err := json.NewDecoder(io.LimitReader(r, hdr.Size)).Decode(&m); err != nil {
		return nil, fmt.Errorf("its manifest: %w", err)
	}
	return &m, nil
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

// writeEntry writes a file of the archive and returns its size and SHA-256.
func writeEntry(root *os.Root, name string, r io.Reader, perm fs.FileMode) (int64, string, error) {
	if err := root.MkdirAll(path.Dir(name), 0o755); err != nil {
		return 0, "", err
	}
	out, err := root.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, perm)
	if err != nil {
		return 0, "", err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(out, h), r)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil { // the mode the archive says, whatever the umask
		err = root.Chmod(name, perm)
	}
	return n, hex.EncodeToString(h.Sum(nil)), err
}

// EnsureIgnored writes a .gitignore of "*" into dir (a cache or report directory of the workspace),
// as mypy does in its cache, so git status stays clean and nothing there is committed by accident.
func EnsureIgnored(dir string) {
	file := filepath.Join(dir, ".gitignore")
	if !exists(file) {
		_ = os.WriteFile(file, []byte("# written by slipway lint-python: a cache, never committed\n*\n"), 0o644)
	}
}
