package lint

import (
	"context"
	"encoding/json"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/slipway-actions/slipway/internal/lint/linttest"
	"github.com/slipway-actions/slipway/internal/sandbox"
	"github.com/slipway-actions/slipway/internal/sandbox/sandboxtest"
	"github.com/slipway-actions/slipway/internal/testenv"
)

// requireSandbox skips a test of what the sandbox changes where it does not act (not root).
func requireSandbox(t *testing.T) {
	t.Helper()
	if !sandbox.Active() {
		testenv.Missing(t, "root", "the linters run in the sandbox only when lint-python runs as root on Linux (in its container)")
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
