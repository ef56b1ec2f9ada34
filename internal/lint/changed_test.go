package lint

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/slipway-actions/slipway/internal/lint/linttest"
	"github.com/slipway-actions/slipway/internal/sandbox/sandboxtest"
	"github.com/slipway-actions/slipway/internal/testenv"
)

// findingKeys is every field of each finding that a reader sees, one line each, sorted.
func findingKeys(fs []Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, fmt.Sprintf("%s %s:%d:%d-%d %s %s", f.Tool, f.File, f.Line, f.Col, f.EndLine, f.Code, f.Message))
	}
	slices.Sort(out)
	return out
}

// pullRequest makes a generated tree a repository with a base commit on main and a feature branch
// that changes modules, and returns the tree's directory and the changed lines.
func pullRequest(t *testing.T, tree linttest.Tree, modules []int) (string, Changes) {
	t.Helper()
	dir := sandboxtest.Dir(t)
	if err := tree.Write(dir); err != nil {
		t.Fatal(err)
	}
	if err := linttest.Commit(dir, "base"); err != nil {
		t.Fatal(err)
	}
	if err := linttest.Git(dir, "checkout", "-q", "-b", "feature"); err != nil {
		t.Fatal(err)
	}
	if _, err := linttest.Change(dir, modules); err != nil {
		t.Fatal(err)
	}
	if err := linttest.Commit(dir, "change"); err != nil {
		t.Fatal(err)
	}
	changes, err := ChangedLines(context.Background(), dir, dir, "main")
	if err != nil {
		t.Fatal(err)
	}
	return dir, changes
}

func TestRun_OnlyChangedEqualsAFullRunOnTheChangedLines(t *testing.T) {
	t.Parallel()
	requireTools(t, "flake8", "black", "isort", "pylint", "mypy", "git")
	// Module 0 is imported by every other module and by the scripts; scripts/ resolves its imports
	// only through the roots a full run puts on the path; generated/ is excluded by every config.
	dir, changes := pullRequest(t, linttest.Tree{Modules: 30, DuplicateCode: true}, []int{0, 7, 21})
	det, err := Detect(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	full, err := Run(ctx, Options{Workspace: dir, Dir: dir, Tools: det.Tools, Explicit: true})
	if err != nil {
		t.Fatal(err)
	}
	pr, err := Run(ctx, Options{Workspace: dir, Dir: dir, Tools: det.Tools, Explicit: true, Changed: changes})
	if err != nil {
		t.Fatal(err)
	}
	var want []Finding
	for _, f := range full.Findings {
		if changes.Touches(f) && f.Code != "R0801" && f.Code != "R0401" { // whole-tree checks: see the README
			want = append(want, f)
		}
	}
	got, wantKeys := findingKeys(pr.Findings), findingKeys(want)
	if strings.Join(got, "\n") != strings.Join(wantKeys, "\n") {
		t.Errorf("only-changed findings differ from the full run's on the changed lines\n got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantKeys, "\n"))
	}
	perTool := map[string]int{}
	for _, f := range pr.Findings {
		perTool[f.Tool]++
	}
	for _, tool := range det.Tools {
		if perTool[tool] == 0 {
			t.Errorf("%s found nothing on the changed lines: the comparison proves nothing for it", tool)
		}
	}
	for _, tr := range pr.Tools {
		cmd := strings.Join(tr.Command, " ")
		for _, f := range []string{linttest.ModulePath(0), linttest.ModulePath(7), "scripts/tool_1.py"} {
			if !strings.Contains(cmd, " "+f) {
				t.Errorf("%s did not get the changed file %s: %s", tr.Tool, f, cmd)
			}
		}
		if strings.Contains(cmd, linttest.ModulePath(1)) {
			t.Errorf("%s got an unchanged file: %s", tr.Tool, cmd)
		}
		// isort is told to apply its skip settings to the files it is given (--filter-files).
		if strings.Contains(cmd, "generated/") && tr.Tool != "isort" {
			t.Errorf("%s got a file its config excludes: %s", tr.Tool, cmd)
		}
	}
	if !slices.ContainsFunc(full.Findings, func(f Finding) bool { return strings.HasPrefix(f.File, "scripts/") && f.Tool == "mypy" }) {
		t.Errorf("the full run has no mypy finding in scripts/: the tree lost what the roots are tested with")
	}
}

func TestChangedLines_ReadsNonASCIIFileNames(t *testing.T) {
	t.Parallel()
	requireTools(t, "git", "flake8")
	dir := sandboxtest.Dir(t)
	name := "café/naïve_ünïcode.py"
	write := func(text string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Join(dir, "café"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("x = 1\n")
	if err := linttest.Commit(dir, "base"); err != nil {
		t.Fatal(err)
	}
	write("x = 1\nimport os\n")
	if err := linttest.Commit(dir, "change"); err != nil {
		t.Fatal(err)
	}
	changes, err := ChangedLines(context.Background(), dir, dir, "HEAD^")
	if err != nil {
		t.Fatal(err)
	}
	if r := changes[name]; len(r) != 1 || r[0] != (LineRange{2, 2}) {
		t.Fatalf("changes = %v, want %s line 2", changes, name)
	}
	rep, err := Run(context.Background(), Options{Workspace: dir, Dir: dir, Tools: []string{"flake8"}, Explicit: true, Changed: changes})
	if err != nil {
		t.Fatal(err)
	}
	if got := findingKeys(rep.Findings); len(got) != 2 || !strings.Contains(got[0], name+":2:1") {
		t.Errorf("findings = %q, want E402 and F401 on %s:2", got, name)
	}
}

func TestUnquoteGitPath(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		`"b/caf\303\251.py"`: "b/café.py",
		`"b/tab\there.py"`:   "b/tab\there.py",
		`"b/quote\"d\\x.py"`: `b/quote"d\x.py`,
		`b/plain.py`:         "b/plain.py",
		`"b/new\nline.py"`:   "b/new\nline.py",
	} {
		if got := unquoteGitPath(in); got != want {
			t.Errorf("unquoteGitPath(%s) = %q, want %q", in, got, want)
		}
	}
}

func TestChangedLines_ReadsARepositoryOwnedByAnotherUser(t *testing.T) {
	t.Parallel()
	requireTools(t, "git")
	testenv.Root(t, "the checkout belongs to uid 1001 and the action runs as root, as in a container action")
	dir, _ := pullRequest(t, linttest.Tree{Modules: 2}, []int{1})
	// The merge commit GitHub checks out on a pull_request event: the base first, the branch second.
	if err := linttest.Git(dir, "checkout", "-q", "main"); err != nil {
		t.Fatal(err)
	}
	if err := linttest.Git(dir, "merge", "-q", "--no-ff", "-m", "merge", "feature"); err != nil {
		t.Fatal(err)
	}
	linttest.GiveToRunnerUser(t, dir)
	// git itself refuses it: the test would prove nothing if it did not.
	if err := linttest.Git(dir, "status"); err == nil || !strings.Contains(err.Error(), "dubious ownership") {
		t.Fatalf("git status on a repository of uid 1001: %v, want dubious ownership", err)
	}
	ctx := context.Background()
	base := PullRequestBase(ctx, filepath.Join(dir, "app"), "main")
	if base != "HEAD^1" {
		t.Fatalf("PullRequestBase = %q, want HEAD^1 (HEAD is the pull request's merge commit)", base)
	}
	changes, err := ChangedLines(ctx, filepath.Join(dir, "app"), dir, base)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := changes[linttest.ModulePath(1)]; !ok || len(changes) != 3 {
		t.Errorf("changes = %v, want %s, the scripts and generated code", changes, linttest.ModulePath(1))
	}
	// Nothing was written to a git config: git still refuses the repository on its own.
	if err := linttest.Git(dir, "status"); err == nil {
		t.Errorf("git status succeeds after the run: a config file was changed")
	}
}
