package workspace

import (
	"os"
	"path/filepath"
	"testing"
)

func TestResolve_InsideOnly(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in, want string
		ok       bool
	}{
		{"api", "/ws/api", true},
		{"./api/../web", "/ws/web", true},
		{"/ws/api/Dockerfile", "/ws/api/Dockerfile", true},
		{".", "/ws", true},
		{"../elsewhere", "", false},
		{"../../etc/passwd", "", false},
		{"/etc/passwd", "", false},
		{"api/../../ws2", "", false},
	} {
		got, err := Resolve("/ws", tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("Resolve(%q) = %q, %v; want %q, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestResolve_RefusesALinkOutOfTheWorkspace(t *testing.T) {
	t.Parallel()
	ws, outside := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "secret"), filepath.Join(ws, "task.json")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ws, "real.json"), []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("real.json", filepath.Join(ws, "inside.json")); err != nil {
		t.Fatal(err)
	}
	if got, err := Resolve(ws, "task.json"); err == nil {
		t.Errorf("Resolve(link out of the workspace) = %q, want an error", got)
	}
	if got, err := Resolve(ws, "inside.json"); err != nil || got != filepath.Join(ws, "inside.json") {
		t.Errorf("Resolve(link inside the workspace) = %q, %v", got, err)
	}
	// A file to write below a committed link to a directory outside: the write would go through it.
	if err := os.Symlink(outside, filepath.Join(ws, ".slipway")); err != nil {
		t.Fatal(err)
	}
	if got, err := Resolve(ws, ".slipway/lint-report.json"); err == nil {
		t.Errorf("Resolve(a new file below a link out of the workspace) = %q, want an error", got)
	}
	if got, err := Resolve(ws, "reports/new/junit.xml"); err != nil || got != filepath.Join(ws, "reports/new/junit.xml") {
		t.Errorf("Resolve(a new file in new directories) = %q, %v", got, err)
	}
}

func TestRel_OutputsAreWorkspaceRelative(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ in, want string }{
		{"/github/workspace/reports", "reports"},
		{"/github/workspace", "."},
		{"reports/junit", "reports/junit"},
		{"/tmp/elsewhere", "/tmp/elsewhere"},
		{"/github/workspace2/x", "/github/workspace2/x"},
	} {
		if got := Rel("/github/workspace", tt.in); got != tt.want {
			t.Errorf("Rel(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
