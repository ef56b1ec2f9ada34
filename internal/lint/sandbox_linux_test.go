package lint

import (
	"context"
	"encoding/json"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/slipway-actions/slipway/internal/lint/linttest"
	"github.com/slipway-actions/slipway/internal/sandbox"
	"github.com/slipway-actions/slipway/internal/sandbox/sandboxtest"
)

// requireSandbox skips a test of what the sandbox changes where it does not act (not root).
func requireSandbox(t *testing.T) {
	t.Helper()
	if !sandbox.Active() {
		t.Skip("the linters run in the sandbox only when lint-python runs as root on Linux (in its container)")
	}
}

// dockerLikeSocket is a socket as the runner mounts /var/run/docker.sock into a container action:
// root's, mode 0660, of another group (docker's).
func dockerLikeSocket(t *testing.T) string {
	t.Helper()
	sock := filepath.Join(sandboxtest.Dir(t), "docker.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	if err := os.Chown(sock, 0, 105); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(sock, 0o660); err != nil {
		t.Fatal(err)
	}
	return sock
}

// probePlugin is a pylint plugin that, when pylint imports it, writes to MARKS/probe.json who it
// runs as and what it could reach: each socket of SOCKETS, and its parent's environment.
const probePlugin = `import json, os, socket
facts = {"uid": os.getuid(), "euid": os.geteuid(), "groups": os.getgroups()}
with open("/proc/self/status") as f:
    for line in f:
        if line.startswith("NoNewPrivs:"):
            facts["no_new_privs"] = line.split()[1]
for path in SOCKETS:
    s = socket.socket(socket.AF_UNIX)
    try:
        s.connect(path)
        facts[path] = "connected"
    except OSError as e:
        facts[path] = e.strerror
try:
    open("/proc/%d/environ" % os.getppid(), "rb").read()
    facts["parent"] = "read"
except OSError as e:
    facts["parent"] = e.strerror
with open(os.path.join("MARKS", "probe.json"), "w") as f:
    json.dump(facts, f)


def register(linter):
    pass
`

// On a trusted run the repository's pylint plugin runs, and pylint finds what it finds; but as the
// sandbox user: it cannot reach a Docker socket (root's, of the docker group) nor read the
// environment of the process that started pylint.
func TestRun_ATrustedRepositorysPluginRunsInTheSandbox(t *testing.T) {
	t.Parallel()
	requireTools(t, "pylint")
	requireSandbox(t)
	ws, marks := sandboxtest.Dir(t), sandboxtest.WritableDir(t)
	sockets := []string{dockerLikeSocket(t)}
	if st, err := os.Stat("/var/run/docker.sock"); err == nil && st.Mode()&fs.ModeSocket != 0 {
		sockets = append(sockets, "/var/run/docker.sock")
	}
	quoted, _ := json.Marshal(sockets)
	linttest.WriteFiles(t, ws, map[string]string{
		".pylintrc":       "[MAIN]\nload-plugins = probe_plugin\n",
		"probe_plugin.py": strings.NewReplacer("MARKS", marks, "SOCKETS", string(quoted)).Replace(probePlugin),
		"app.py":          "\"\"\"App.\"\"\"\nimport os\n",
	})
	env := map[string]string{"PATH": os.Getenv("PATH"), "HOME": sandboxtest.Dir(t), "PYTHONPATH": ws}
	rep, err := Run(context.Background(), Options{Workspace: ws, Dir: ws, Paths: []string{"app.py"}, Tools: []string{"pylint"},
		Explicit: true, Getenv: func(k string) string { return env[k] }})
	if err != nil {
		t.Fatal(err)
	}
	if keys := reportKeys(rep.Findings, false); strings.Join(keys, " ") != "app.py:2:W0611" {
		t.Errorf("findings %v, want pylint's unused import", keys)
	}
	data, err := os.ReadFile(filepath.Join(marks, "probe.json"))
	if err != nil {
		t.Fatalf("the plugin did not run: %v", err)
	}
	var facts map[string]any
	if err := json.Unmarshal(data, &facts); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"uid": float64(sandbox.UID), "euid": float64(sandbox.UID), "groups": []any{}, "no_new_privs": "1", "parent": "Permission denied"}
	for _, s := range sockets {
		want[s] = "Permission denied"
	}
	for k, v := range want {
		if got, _ := json.Marshal(facts[k]); string(got) != mustJSON(v) {
			t.Errorf("%s: the plugin got %s, want %s", k, got, mustJSON(v))
		}
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// pip, in the sandbox, makes the environment and builds a local setuptools project (as a
// requirements file's "./libs/x" and "-e ./libs/y" ask) without writing the workspace: setuptools
// would write its egg-info beside the sources, and the sandbox user may not; it writes it in its own
// home. Only the build/ directory handed over is written, and the environment is root's again
// when pip is done.
func TestExecute_PipBuildsALocalProjectWithoutWritingTheWorkspace(t *testing.T) {
	t.Parallel()
	requireSandbox(t)
	const python = "/usr/bin/python3"
	env := environ(func(k string) string { return map[string]string{"PATH": "/usr/bin:/bin", "PIP_NO_INDEX": "1"}[k] })
	if o, err := execute(context.Background(), process{argv: []string{python, "-c", "import setuptools, pip"}, dir: neutralDir, env: env.query()}); err != nil || o.code != 0 {
		t.Skipf("%s has no pip or setuptools to build with offline: %v %s", python, err, o.stderr)
	}
	ws := sandboxtest.Dir(t)
	files := map[string]string{}
	for _, name := range []string{"lib_a", "lib_b"} {
		files["libs/"+name+"/pyproject.toml"] = "[build-system]\nrequires = [\"setuptools\"]\nbuild-backend = \"setuptools.build_meta\"\n\n" +
			"[project]\nname = \"" + strings.ReplaceAll(name, "_", "-") + "\"\nversion = \"1.0\"\n"
		files["libs/"+name+"/src/"+name+"/__init__.py"] = "NAME = " + strconv.Quote(name) + "\n"
	}
	linttest.WriteFiles(t, ws, files)
	before := tree(t, ws)
	venv := filepath.Join(sandboxtest.Dir(t), "venv")
	ctx := context.Background()
	if o, err := execute(ctx, process{argv: []string{python, "-m", "venv", "--system-site-packages", "--without-pip", venv},
		dir: neutralDir, env: env.query(), writes: []string{venv}}); err != nil || o.code != 0 {
		t.Fatalf("venv: %v %s", err, o.stderr)
	}
	builds := []string{filepath.Join(ws, "libs", "lib_a", "build"), filepath.Join(ws, "libs", "lib_b", "build")}
	o, err := execute(ctx, process{argv: []string{filepath.Join(venv, "bin", "python"), "-m", "pip", "install", "--no-build-isolation",
		"./libs/lib_a", "-e", "./libs/lib_b"}, dir: ws, env: override(env.pip(), []string{"VIRTUAL_ENV=" + venv}), writes: append([]string{venv}, builds...)})
	if err != nil || o.code != 0 {
		t.Fatalf("pip: %v\n%s%s", err, o.stdout, o.stderr)
	}
	o, err = execute(ctx, process{argv: []string{filepath.Join(venv, "bin", "python"), "-c", "import lib_a, lib_b; print(lib_a.NAME, lib_b.__file__)"}, dir: neutralDir, env: env.query()})
	if want := "lib_a " + filepath.Join(ws, "libs", "lib_b", "src", "lib_b", "__init__.py"); err != nil || strings.TrimSpace(o.stdout) != want {
		t.Errorf("the environment imports %q (%v %s), want %q", o.stdout, err, o.stderr, want)
	}
	for _, b := range builds {
		os.RemoveAll(b) // as Install does with the build/ directories it made
	}
	if after := tree(t, ws); after != before {
		t.Errorf("pip changed the workspace:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	if err := filepath.WalkDir(venv, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if uid := info.Sys().(*syscall.Stat_t).Uid; uid != 0 {
			t.Errorf("%s belongs to uid %d after pip, want root's: a linter in the sandbox could change the environment", p, uid)
			return filepath.SkipAll
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// tree lists every path below dir with its owner and mode.
func tree(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		st := info.Sys().(*syscall.Stat_t)
		rel, _ := filepath.Rel(dir, p)
		b.WriteString(rel + " " + strconv.Itoa(int(st.Uid)) + " " + info.Mode().String() + "\n")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// mypy, in the sandbox, writes its cache where lint-python's cache-dir says (handed over for its
// run only: all of it is its owner's again when mypy is done).
func TestRun_MypyWritesItsCacheFromTheSandbox(t *testing.T) {
	t.Parallel()
	requireTools(t, "mypy")
	requireSandbox(t)
	ws := sandboxtest.Dir(t)
	linttest.WriteFiles(t, ws, map[string]string{"app.py": "def f(x: int) -> str:\n    return x\n"})
	cache := filepath.Join(ws, ".slipway", "cache", "mypy")
	env := map[string]string{"PATH": os.Getenv("PATH"), "HOME": sandboxtest.Dir(t)}
	rep, err := Run(context.Background(), Options{Workspace: ws, Dir: ws, Tools: []string{"mypy"}, Explicit: true, MypyCache: cache,
		Getenv: func(k string) string { return env[k] }})
	if err != nil {
		t.Fatal(err)
	}
	if keys := reportKeys(rep.Findings, false); strings.Join(keys, " ") != "app.py:2:return-value" {
		t.Errorf("findings %v, want mypy's return-value", keys)
	}
	var metas int
	err = filepath.WalkDir(cache, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if uid := info.Sys().(*syscall.Stat_t).Uid; uid != 0 {
			t.Errorf("%s belongs to uid %d after mypy, want its owner's from before (root)", p, uid)
		}
		if strings.HasSuffix(p, "builtins.meta.json") { // mypy caches no module with errors

			metas++
		}
		return nil
	})
	if err != nil || metas != 1 {
		t.Errorf("mypy's cache in %s has %d entries for builtins (%v), want 1", cache, metas, err)
	}
}
