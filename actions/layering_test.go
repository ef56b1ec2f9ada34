package actions_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Core packages return typed errors and never decide exit codes: none of them depends on actionkit,
// directly or through another package. Only actions/* and actionkit decide.
func TestLayering_CorePackagesNeverReachActionkit(t *testing.T) {
	t.Parallel()
	core := []string{"compose", "ecs", "rollout", "images", "registry", "flagsmith", "lint", "pyenv", "process", "github", "junit", "workspace", "docker", "factory", "registryauth", "failure"}
	for _, pkg := range core {
		out, err := exec.Command("go", "list", "-deps", "../internal/"+pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps internal/%s: %v\n%s", pkg, err, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			if strings.HasSuffix(dep, "/internal/actionkit") {
				t.Errorf("internal/%s depends on actionkit", pkg)
			}
		}
	}
}

// moduleFiles parses every non-test Go file of the module outside testdata, bench and the fixtures
// of tests, and calls visit with its path (relative to the module root) and syntax tree.
func moduleFiles(t *testing.T, visit func(path string, fset *token.FileSet, f *ast.File)) {
	t.Helper()
	fset := token.NewFileSet()
	err := filepath.WalkDir("..", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel("..", p)
		if d.IsDir() {
			if strings.HasPrefix(d.Name(), ".") && rel != "." || d.Name() == "testdata" || rel == "bench" || rel == "examples" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, 0)
		if err != nil {
			return err
		}
		visit(filepath.ToSlash(rel), fset, f)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// The exit code is decided in one place: the classes live in internal/failure, and only
// internal/actionkit (ExitCode, and a crash or a lost output, which are its own) names an exit code.
// No package defines its own bad-input or failed error type again.
func TestErrors_OneClassificationOneExitCodeMapping(t *testing.T) {
	t.Parallel()
	codes := map[string]bool{"ExitBadInput": true, "ExitFailed": true, "ExitInfra": true}
	seen := 0
	moduleFiles(t, func(path string, _ *token.FileSet, f *ast.File) {
		inActionkit := strings.HasPrefix(path, "internal/actionkit/") // actiontest checks the codes actions exit with
		ast.Inspect(f, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.Ident:
				if codes[x.Name] {
					seen++
					if !inActionkit {
						t.Errorf("%s names the exit code %s: exit codes come from actionkit.ExitCode", path, x.Name)
					}
				}
			case *ast.TypeSpec:
				if x.Name.Name == "InputError" || x.Name.Name == "FailedError" {
					t.Errorf("%s declares %s: mark errors with failure.BadInput or failure.Failed", path, x.Name.Name)
				}
			case *ast.CallExpr:
				if sel, ok := x.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Exit" && len(x.Args) == 1 {
					if _, lit := x.Args[0].(*ast.BasicLit); lit {
						t.Errorf("%s calls os.Exit with a literal code", path)
					}
				}
			}
			return true
		})
	})
	if seen == 0 {
		t.Fatal("found no exit code constant at all: the scan read nothing")
	}
}

// No function outside tests is longer than 80 lines (function literals included): a concept that
// needs more is several.
func TestCode_NoFunctionOver80Lines(t *testing.T) {
	t.Parallel()
	funcs := 0
	moduleFiles(t, func(path string, fset *token.FileSet, f *ast.File) {
		ast.Inspect(f, func(n ast.Node) bool {
			var body *ast.BlockStmt
			name := "a function literal"
			switch x := n.(type) {
			case *ast.FuncDecl:
				body, name = x.Body, x.Name.Name
			case *ast.FuncLit:
				body = x.Body
			}
			if body == nil {
				return true
			}
			funcs++
			lines := fset.Position(body.Rbrace).Line - fset.Position(n.Pos()).Line + 1
			if lines > 80 {
				t.Errorf("%s: %s is %d lines (at most 80)", path, name, lines)
			}
			return true
		})
	})
	if funcs < 100 {
		t.Fatalf("found %d functions: the scan read too little", funcs)
	}
}
