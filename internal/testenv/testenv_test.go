package testenv

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recorder is a testing.TB that records a skip or a failure instead of ending the test.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Helper()                   {}
func (r *recorder) Skipf(f string, a ...any)  { r.skipped = fmt.Sprintf(f, a...) }
func (r *recorder) Fatalf(f string, a ...any) { r.failed = fmt.Sprintf(f, a...) }
func record(f func(testing.TB)) (skipped, failed string) {
	r := &recorder{}
	f(r)
	return r.skipped, r.failed
}

// A missing tool skips on a laptop and fails under SLIPWAY_REQUIRE_ALL=1, naming what was missing and
// why; what is there lets the test go on either way.
func TestRequire_SkipsOnALaptopFailsInCI(t *testing.T) {
	missing := errors.New(`exec: "jq": executable file not found in $PATH`)
	for _, tc := range []struct {
		name, requireAll   string
		err                error
		wantSkip, wantFail bool
	}{
		{"laptop, missing", "", missing, true, false},
		{"REQUIRE_ALL=0, missing", "0", missing, true, false},
		{"CI, missing", "1", missing, false, true},
		{"laptop, there", "", nil, false, false},
		{"CI, there", "1", nil, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(RequireAll, tc.requireAll)
			skipped, failed := record(func(tb testing.TB) { Require(tb, "jq", tc.err) })
			if (skipped != "") != tc.wantSkip || (failed != "") != tc.wantFail {
				t.Fatalf("skipped %q, failed %q; want skip %v, fail %v", skipped, failed, tc.wantSkip, tc.wantFail)
			}
			if msg := skipped + failed; tc.err != nil && (!strings.Contains(msg, "jq is") || !strings.Contains(msg, tc.err.Error())) {
				t.Errorf("%q does not name what is missing and why", msg)
			}
			if tc.wantFail && !strings.Contains(failed, "SLIPWAY_REQUIRE_ALL=1") {
				t.Errorf("%q does not say which setting made the skip a failure", failed)
			}
		})
	}
}

func TestRoot_GoesOnAsRootOnly(t *testing.T) {
	t.Setenv(RequireAll, "1")
	_, failed := record(func(tb testing.TB) { Root(tb, "the checkout belongs to uid 1001") })
	if asRoot := os.Geteuid() == 0; asRoot != (failed == "") {
		t.Errorf("as uid %d: failed %q", os.Geteuid(), failed)
	}
}

// Every skip goes through this package: no Go file of the module (tests, test helpers, fakes) calls
// Skip, Skipf or SkipNow of a test itself, so SLIPWAY_REQUIRE_ALL=1 governs every skip there is.
func TestSkips_OnlyThroughTestenv(t *testing.T) {
	t.Parallel()
	root := filepath.Join("..", "..")
	fset := token.NewFileSet()
	files := 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if strings.HasPrefix(d.Name(), ".") && rel != "." || d.Name() == "testdata" || d.Name() == "vendor" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || rel == "internal/testenv/testenv.go" {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, 0)
		if err != nil {
			return err
		}
		files++
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			if sel, ok := call.Fun.(*ast.SelectorExpr); ok && skipMethods[sel.Sel.Name] {
				t.Errorf("%s calls %s itself: use testenv.Require or testenv.Missing, which fail under SLIPWAY_REQUIRE_ALL=1",
					fset.Position(call.Pos()), sel.Sel.Name)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 100 {
		t.Fatalf("scanned %d Go files, want the whole module", files)
	}
}

var skipMethods = map[string]bool{"Skip": true, "Skipf": true, "SkipNow": true}
