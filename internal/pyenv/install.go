package pyenv

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/slipway-actions/slipway/internal/process"
)

// Environment is the project's virtual environment: its dependencies and pinned linters, over the
// image's packages (the environment sees them: a linter the project does not pin is the image's; a
// pinned one is always the environment's own copy).
type Environment struct {
	Dir    string // the virtual environment
	Python string // its interpreter; the linters run as python -m <module>
	// Key is the hash of what it holds: the interpreter with the image's packages, and every
	// requirement (files' text included).
	Key string
	// How says where it came from: "reused" (already here), "restored" (from Archive), "installed".
	How string
	// Rejected says why an environment found (unpacked, or in the cache) was not used but made
	// afresh: it was not exactly what its manifest says. Empty when none was rejected.
	Rejected string
	// Archive is the file in the cache directory that the next run restores it from.
	Archive string
	// Pins maps a distribution (normalised) to the file of the project that names it.
	Pins map[string]string
	// dists are the distributions of Options.Dists the interpreter imports: version and location.
	dists map[string]Distribution
}

// Distribution is an installed distribution as importlib.metadata sees it.
type Distribution struct {
	Version  string `json:"version"`
	Location string `json:"location"`
}

// Options say where the environment lives, and what runs from it.
type Options struct {
	// VenvRoot is where environments are unpacked and used, outside the tree the linters walk
	// (HOME's cache in the container).
	VenvRoot string
	// CacheDir is a directory of the workspace that a workflow caches: the environment is archived
	// there (one file, no Python file the linters could walk into) for the next run.
	CacheDir string
	// Executables are the linters that will run, as on PATH: the interpreter of the first that is
	// a Python script is the image's, which the environment is made over (else python3 on PATH).
	Executables []string
	// Dists are the distributions of every linter the caller knows: the environment reports which
	// it imports, and has its own copy of each the project pins.
	Dists  []string
	Getenv func(string) string
	// Progress reports steps that take time; nil is quiet.
	Progress func(format string, args ...any)
}

// keyVersion changes when the way environments are made changes.
const keyVersion = "slipway-venv-3"

// Install makes the environment the plan asks for, or finds it: in VenvRoot (reused), as an archive
// in CacheDir (restored), or new from pip (installed, then archived). An empty plan needs none: nil.
func Install(ctx context.Context, plan *Plan, o Options) (*Environment, error) {
	if plan.Empty() {
		return nil, nil
	}
	progress := o.Progress
	if progress == nil {
		progress = func(string, ...any) {}
	}
	getenv := process.Environ(o.Getenv)
	base := baseInterpreter(getenv, o.Executables)
	if base == "" {
		return nil, &InstallError{Step: "finding Python", Detail: "no python3 on PATH and no linter with a Python interpreter"}
	}
	ident, err := process.Run(ctx, process.Command{Argv: []string{base, "-c", identityScript}, Dir: process.NeutralDir, Env: getenv.Query()})
	if err != nil || ident.Code != 0 {
		return nil, &InstallError{Step: "running " + base, Detail: fmt.Sprint(err, process.Tail(ident.Stderr, 5))}
	}
	key := plan.key(base, ident.Stdout)
	env := &Environment{Dir: filepath.Join(o.VenvRoot, key), Key: key, Pins: plan.Pins,
		Archive: filepath.Join(o.CacheDir, "venv", key+".tar")}
	env.Python = filepath.Join(env.Dir, "bin", "python")
	if err := os.MkdirAll(o.VenvRoot, 0o755); err != nil {
		return nil, err
	}
	// One process makes a given environment at a time; the others wait, then reuse it.
	unlock, err := lockFile(filepath.Join(o.VenvRoot, key+".lock"))
	if err != nil {
		return nil, err
	}
	defer unlock()
	switch err := verifyDir(env.Dir, key); {
	case err == nil:
		env.How = "reused"
	case errors.Is(err, errIncomplete):
		os.RemoveAll(env.Dir) // a run that did not finish it
	default:
		// Not what was made here: made afresh, never run.
		env.Rejected = fmt.Sprintf("the environment in %s: %v", env.Dir, err)
		os.RemoveAll(env.Dir)
	}
	if env.How == "" && exists(env.Archive) {
		progress("install: restoring the project's environment from %s", env.Archive)
		os.RemoveAll(env.Dir)
		if err := unpack(env.Archive, env.Dir, key); err != nil {
			// A cache entry is written by whoever could save one: an archive that is not exactly what
			// its manifest says (a changed or added file, another key, a broken tar) is deleted and
			// the environment made afresh.
			env.Rejected = fmt.Sprintf("the cached archive %s: %v", env.Archive, err)
			progress("install: %s: deleted, making the environment afresh", env.Rejected)
			os.RemoveAll(env.Dir)
			os.Remove(env.Archive)
		} else {
			env.How = "restored"
		}
	}
	if env.How == "" {
		progress("install: making the project's environment (%s)", strings.Join(plan.Requirements, " "))
		if err := create(ctx, base, env.Dir, plan, getenv, o.Dists); err != nil {
			os.RemoveAll(env.Dir)
			return nil, err
		}
		m, err := archive(env.Dir, env.Archive, key)
		if err != nil {
			return nil, fmt.Errorf("install: archive the environment in %s: %w", o.CacheDir, err)
		}
		if err := writeManifest(env.Dir, m); err != nil {
			return nil, err
		}
		env.How = "installed"
	}
	if env.dists, err = Distributions(ctx, env.Python, getenv, o.Dists); err != nil {
		return nil, &InstallError{Step: "reading the environment", Detail: err.Error()}
	}
	return env, nil
}

// identityScript prints what the key knows of the image's interpreter: its version, its prefix, and
// every distribution it has (name==version). The environment sees the image's packages, so an image
// with other packages (an upgrade of black, of a plugin's dependency) is another environment.
const identityScript = `import importlib.metadata as m, re, sys
print(sys.version)
print(sys.prefix)
names = set()
for d in m.distributions():
    name = d.metadata["Name"]
    if name:
        names.add(re.sub(r"[-_.]+", "-", name).lower() + "==" + str(d.version))
print("\n".join(sorted(names)))`

// create makes a virtual environment over the image's packages and has pip install the plan in it.
func create(ctx context.Context, base, dir string, plan *Plan, getenv process.Environ, dists []string) error {
	args := []string{base, "-m", "venv", "--system-site-packages"}
	// The image's pip serves the environment too (it sees the image's packages): no copy of pip.
	if o, err := process.Run(ctx, process.Command{Argv: []string{base, "-c", "import pip"}, Dir: process.NeutralDir, Env: getenv.Query()}); err == nil && o.Code == 0 {
		args = append(args, "--without-pip")
	}
	if o, err := process.Run(ctx, process.Command{Argv: append(args, dir), Dir: process.NeutralDir, Env: getenv.Query(), Writes: []string{dir}}); err != nil || o.Code != 0 {
		return &InstallError{Step: "python -m venv", Detail: fmt.Sprint(err, process.Tail(o.Stderr+o.Stdout, 10))}
	}
	python := filepath.Join(dir, "bin", "python")
	// A build in a local project's tree (setuptools) leaves build/ with copies of its modules, which
	// a linter walking the tree would lint: what pip makes there goes when it is done.
	for _, b := range plan.newBuildDirs() {
		defer os.RemoveAll(b)
	}
	pip := append([]string{python, "-m", "pip", "install", "--disable-pip-version-check", "--no-input", "--progress-bar=off"}, plan.Requirements...)
	// pip writes the environment, and setuptools builds a local project in its build/ (its
	// egg-info goes to the sandbox's home): the rest of the workspace is not pip's to write.
	o, err := process.Run(ctx, process.Command{Argv: pip, Dir: plan.dir, Env: process.Override(getenv.Pip(), []string{"VIRTUAL_ENV=" + dir}),
		Writes: append([]string{dir}, plan.buildDirs()...)})
	if err != nil || o.Code != 0 {
		return &InstallError{Step: "pip install " + strings.Join(plan.Requirements, " "), Detail: fmt.Sprint(errText(err), process.Tail(o.Stderr+o.Stdout, 15))}
	}
	return ownPinnedLinters(ctx, python, dir, plan, getenv, dists)
}

// ownPinnedLinters installs into the environment each linter (of dists) the project pins that pip left to the
// image's copy (the image had a version the pin accepts: "already satisfied"), at that version and
// without its dependencies (pip has resolved them). The pinned linter is then the environment's own:
// it runs from there whatever the next image holds, and the summary's "from" is the pin.
func ownPinnedLinters(ctx context.Context, python, dir string, plan *Plan, getenv process.Environ, dists []string) error {
	var pinned []string
	for _, d := range dists {
		if _, ok := plan.Pins[normaliseName(d)]; ok {
			pinned = append(pinned, d)
		}
	}
	if len(pinned) == 0 {
		return nil
	}
	installed, err := Distributions(ctx, python, getenv, pinned)
	if err != nil {
		return &InstallError{Step: "reading the environment", Detail: err.Error()}
	}
	var reqs []string
	for _, d := range pinned {
		if got, ok := installed[d]; ok && !within(got.Location, dir) {
			public, _, _ := strings.Cut(got.Version, "+") // a local label (Debian's) is not on an index
			reqs = append(reqs, d+"=="+public)
		}
	}
	if len(reqs) == 0 {
		return nil
	}
	pip := append([]string{python, "-m", "pip", "install", "--disable-pip-version-check", "--no-input", "--progress-bar=off",
		"--ignore-installed", "--no-deps"}, reqs...)
	o, err := process.Run(ctx, process.Command{Argv: pip, Dir: plan.dir, Env: process.Override(getenv.Pip(), []string{"VIRTUAL_ENV=" + dir}), Writes: []string{dir}})
	if err != nil || o.Code != 0 {
		return &InstallError{Step: "pip install --ignore-installed --no-deps " + strings.Join(reqs, " ") + " (the pinned linters, at the version the image has, into the environment)",
			Detail: fmt.Sprint(errText(err), process.Tail(o.Stderr+o.Stdout, 15))}
	}
	return nil
}

// within reports whether path is below dir.
func within(path, dir string) bool {
	return strings.HasPrefix(path, dir+string(os.PathSeparator))
}

// newBuildDirs are the build/ directories of the local projects that do not exist yet.
func (p *Plan) newBuildDirs() []string {
	var out []string
	for _, b := range p.buildDirs() {
		if !exists(b) {
			out = append(out, b)
		}
	}
	return out
}

// buildDirs are the build/ directories of the local projects, where setuptools builds them.
func (p *Plan) buildDirs() []string {
	var out []string
	for _, d := range p.locals {
		out = append(out, filepath.Join(d, "build"))
	}
	return out
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error() + ": "
}

// key hashes what makes the environment: the interpreter and the packages it has (ident, from
// identityScript), every requirement with the text of the files pip reads, and the build files of
// the local projects it builds (their dependencies).
func (p *Plan) key(base, ident string) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n%s\n", keyVersion, base, ident)
	for _, r := range p.Requirements {
		fmt.Fprintf(h, "req %s\n", r)
	}
	for _, f := range p.files {
		b, _ := os.ReadFile(f)
		fmt.Fprintf(h, "file %s %d\n", f, len(b))
		h.Write(b)
	}
	for _, d := range p.locals {
		for _, name := range []string{"pyproject.toml", "setup.cfg", "setup.py"} {
			b, err := os.ReadFile(filepath.Join(d, name))
			if err == nil {
				fmt.Fprintf(h, "local %s %d\n", filepath.Join(d, name), len(b))
				h.Write(b)
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:20]
}

// Activate is the environment a linter gets from it: VIRTUAL_ENV, and its bin first on PATH (the
// PATH getenv gives; nil is os.Getenv). A nil environment adds nothing.
func (e *Environment) Activate(getenv func(string) string) []string {
	if e == nil {
		return nil
	}
	if getenv == nil {
		getenv = os.Getenv
	}
	return []string{"VIRTUAL_ENV=" + e.Dir, "PATH=" + filepath.Join(e.Dir, "bin") + string(os.PathListSeparator) + getenv("PATH")}
}

// Distribution is what the environment's interpreter imports of dist (one of Options.Dists): the
// project's pin or the image's package. False when it has none, or there is no environment.
func (e *Environment) Distribution(dist string) (Distribution, bool) {
	if e == nil {
		return Distribution{}, false
	}
	d, ok := e.dists[dist]
	return d, ok
}

// Origin says where a distribution the environment imports comes from: "image", the project's file
// that pins it, or "project environment" (installed there as a dependency).
func (e *Environment) Origin(dist string) string {
	if !within(e.dists[dist].Location, e.Dir) {
		return "image"
	}
	if src, ok := e.Pins[normaliseName(dist)]; ok {
		return src
	}
	return "project environment"
}

// lockFile takes an exclusive lock on file (made if missing) until the returned func is called.
func lockFile(file string) (func(), error) {
	f, err := os.OpenFile(file, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }
