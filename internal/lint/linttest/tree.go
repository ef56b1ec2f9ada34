// Package linttest gives the tests of lint and pyenv, and bench/lint, what they lint and install:
// generated Python trees in git repositories, changed the way a pull request changes them, and
// projects whose requirements pip installs from a package index on loopback serving wheels the
// tests write (PyPI is out of reach here).
package linttest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Tree describes a generated project: Modules modules in packages of 20 under app/ (whose root is
// app/, not a package), scripts that import them, and generated code every linter's config excludes.
type Tree struct {
	Modules int
	// DuplicateCode leaves pylint's duplicate-code on (its default); off, pylint may use --jobs.
	DuplicateCode bool
}

// Write writes the tree into dir, with the config that makes lint-python's auto mode pick flake8,
// black, isort, pylint and mypy, each excluding generated/ in its own way.
func (t Tree) Write(dir string) error {
	disable := `"missing-module-docstring"`
	if !t.DuplicateCode {
		disable += `, "duplicate-code"`
	}
	files := map[string]string{
		"setup.cfg": "[flake8]\nmax-line-length = 100\nextend-exclude = generated\n",
		"pyproject.toml": "[tool.black]\nline-length = 100\nextend-exclude = \"/generated/\"\n\n" +
			"[tool.isort]\nprofile = \"black\"\nskip_glob = [\"generated/*\"]\n\n" +
			"[tool.mypy]\nignore_missing_imports = true\nexclude = [\"^generated/\"]\n\n" +
			"[tool.pylint.main]\nignore = [\"generated\"]\ndisable = [" + disable + "]\n",
	}
	for i := 0; i < t.Modules; i++ {
		pkg := fmt.Sprintf("app/pkg%02d", i/20)
		if i%20 == 0 {
			files[pkg+"/__init__.py"] = ""
		}
		files[fmt.Sprintf("%s/mod%03d.py", pkg, i)] = module(i)
	}
	for s := 0; s < 3; s++ {
		files[fmt.Sprintf("scripts/tool_%d.py", s)] = script(s)
		files[fmt.Sprintf("generated/gen_%d.py", s)] = "import os,sys\nx=1\n"
	}
	for name, text := range files {
		if err := write(filepath.Join(dir, name), text); err != nil {
			return err
		}
	}
	return nil
}

// ModulePath is the path of module i, relative to the tree.
func ModulePath(i int) string { return fmt.Sprintf("app/pkg%02d/mod%03d.py", i/20, i) }

// module is one module: a typical mix of clean code and findings for every linter, importing the
// first module of the tree (so mypy and pylint follow imports across packages).
func module(i int) string {
	var b strings.Builder
	b.WriteString("import os, sys\nfrom typing import Dict, List\nimport json\n")
	if i > 0 {
		b.WriteString("\nfrom pkg00.mod000 import Model0\n")
	}
	b.WriteString("\n\n")
	for f := 0; f < 8; f++ {
		fmt.Fprintf(&b, "def func_%d_%d(items: List[int], table: Dict[str, int]) -> int:\n", i, f)
		b.WriteString("    \"\"\"Sum the items and look up a key.\"\"\"\n    total = 0\n")
		b.WriteString("    for index in range(len(items)):\n        total += items[index]\n")
		if f%3 == 0 {
			b.WriteString("    unused=1\n")
		}
		if f%4 == 0 {
			b.WriteString("    return str(total)\n\n\n")
		} else {
			b.WriteString("    return total + table.get(\"k\", 0)\n\n\n")
		}
	}
	if i > 0 {
		fmt.Fprintf(&b, "def use_model_%d() -> int:\n    \"\"\"Use the first module's model.\"\"\"\n    return Model0(\"x\").label()\n\n\n", i)
	}
	fmt.Fprintf(&b, "class Model%d:\n    \"\"\"A model.\"\"\"\n\n    def __init__(self, name: str) -> None:\n        self.name = name\n\n    def label(self) -> str:\n        \"\"\"Label.\"\"\"\n        return self.name.upper()\n", i)
	return b.String()
}

// script is a file of scripts/ (not a package): it imports app's packages only because a full run
// puts app/ on the import path.
func script(s int) string {
	return fmt.Sprintf("\"\"\"Script %d.\"\"\"\n\nfrom pkg00.mod000 import Model0, func_0_1\n\n\ndef main() -> int:\n    \"\"\"Run.\"\"\"\n    return func_0_1([1], {}) + len(Model0(\"s\").label())\n", s)
}

// Change edits files the way a pull request does: in each module named, a changed line in the
// middle and a new function at the end with findings for every linter; in a script, a changed
// call; in generated code (excluded everywhere), a new finding nobody may report. It returns the
// files changed.
func Change(dir string, modules []int) ([]string, error) {
	var changed []string
	edit := func(name string, f func(string) string) error {
		p := filepath.Join(dir, name)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		changed = append(changed, name)
		return os.WriteFile(p, []byte(f(string(b))), 0o644)
	}
	for _, i := range modules {
		err := edit(ModulePath(i), func(s string) string {
			s = strings.Replace(s, fmt.Sprintf("def func_%d_2(items: List[int], table: Dict[str, int]) -> int:\n    \"\"\"Sum the items and look up a key.\"\"\"\n    total = 0\n", i),
				fmt.Sprintf("def func_%d_2(items: List[int], table: Dict[str, int]) -> int:\n    \"\"\"Sum the items and look up a key.\"\"\"\n    total = sys.maxsize-1 if items==[] else 0\n", i), 1)
			s = strings.Replace(s, "import json\n", "import json\nimport abc\n", 1)
			return s + fmt.Sprintf("\n\ndef added_%d(count: int) -> int:\n    \"\"\"Added by the pull request.\"\"\"\n    value=os.getcwd()\n    return value\n", i)
		})
		if err != nil {
			return nil, err
		}
	}
	if err := edit("scripts/tool_1.py", func(s string) string {
		return strings.Replace(s, `func_0_1([1], {})`, `func_0_1(["1"], {})+ len(Model0(2).label())`, 1)
	}); err != nil {
		return nil, err
	}
	if err := edit("generated/gen_1.py", func(s string) string { return s + "import re,json\ny =  2\n" }); err != nil {
		return nil, err
	}
	return changed, nil
}

// Git runs git in dir with a fixed author, and returns its error with what it printed.
func Git(dir string, args ...string) error {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=slipway", "GIT_AUTHOR_EMAIL=t@example.com",
		"GIT_COMMITTER_NAME=slipway", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_NOSYSTEM=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

// Commit makes dir a repository on branch main if it is not one, and commits everything in it.
func Commit(dir, message string) error {
	if _, err := os.Stat(filepath.Join(dir, ".git")); err != nil {
		if err := Git(dir, "init", "-q", "-b", "main"); err != nil {
			return err
		}
	}
	if err := Git(dir, "add", "-A"); err != nil {
		return err
	}
	return Git(dir, "commit", "-q", "--no-verify", "-m", message)
}

func write(path, text string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(text), 0o644)
}
