package lint

import (
	"path/filepath"
	"testing"

	"github.com/slipway-actions/slipway/internal/lint/linttest"
	"github.com/slipway-actions/slipway/internal/sandbox/sandboxtest"
)

// Each tool's walk reads its exclusions from the config file the tool's own search finds, as the
// tool reads it (pylint's inline comments, DEFAULT folded in), and applies them as its walk does.
func TestWalkSkips_ReadTheConfigFileTheToolFinds(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, tool   string
		files        map[string]string // below the repository; the project directory is proj/
		skipped, run []string          // relative to the project directory
	}{
		{name: "flake8 in a parent directory, a pattern with a slash relative to it", tool: "flake8",
			files:   map[string]string{"setup.cfg": "[flake8]\nextend-exclude = vendored,\n  ./proj/gen\n"},
			skipped: []string{"vendored/x.py", "app/vendored/x.py", "gen/y.py"}, run: []string{"app/z.py", "app/gen/y.py"}},
		{name: "flake8 exclude from DEFAULT", tool: "flake8",
			files:   map[string]string{"proj/tox.ini": "[DEFAULT]\nexclude = legacy\n\n[flake8]\nmax-line-length = 90\n"},
			skipped: []string{"legacy/x.py"}, run: []string{".git/x.py", "app/x.py"}},
		{name: "pylint rc file with an inline comment", tool: "pylint",
			files:   map[string]string{"proj/.pylintrc": "[MAIN]\nignore = legacy  # kept for now\n"},
			skipped: []string{"legacy/a.py"}, run: []string{"app/a.py", "CVS/a.py"}},
		{name: "pylint TOML rc file", tool: "pylint",
			files:   map[string]string{"proj/pylintrc.toml": "[tool.pylint.MASTER]\nignore-paths = [\"^old/.*$\"]\n"},
			skipped: []string{"old/x/a.py", "CVS/a.py"}, run: []string{"app/a.py", "old.py"}},
		{name: "mypy verbose regular expression", tool: "mypy",
			files:   map[string]string{"proj/mypy.ini": "[mypy]\nexclude = (?x)(\n    ^build/  # generated\n  )\n"},
			skipped: []string{"build/a.py", ".hidden/a.py"}, run: []string{"app/a.py", "app/build/a.py"}},
		{name: "black at the project root above", tool: "black",
			files:   map[string]string{".git/HEAD": "", "pyproject.toml": "[tool.black]\nextend-exclude = \"/proj/migrations/\"\n"},
			skipped: []string{"migrations/0001.py", "build/a.py"}, run: []string{"app/a.py", "app/migrations.py"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := sandboxtest.Dir(t)
			linttest.WriteFiles(t, root, tc.files)
			tl, _ := lookup(tc.tool)
			skip := tl.walkSkips(filepath.Join(root, "proj"))
			if skip == nil {
				t.Fatalf("%s has no walk", tc.tool)
			}
			for _, f := range tc.skipped {
				if !skip(f) {
					t.Errorf("%s lints %s", tc.tool, f)
				}
			}
			for _, f := range tc.run {
				if skip(f) {
					t.Errorf("%s skips %s", tc.tool, f)
				}
			}
		})
	}
	for _, name := range []string{"ruff", "ruff-format", "isort"} {
		if tl, _ := lookup(name); tl.walkSkips(sandboxtest.Dir(t)) != nil {
			t.Errorf("%s applies its exclusions itself, yet has a walk here", name)
		}
	}
}
