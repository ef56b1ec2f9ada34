package junit

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/slipway-actions/slipway/internal/testenv"
)

func TestPytestNodeID_InvertsJunitxmlsNames(t *testing.T) {
	t.Parallel()
	files := map[string]bool{"tests/api/test_orders.py": true, "test_top.py": true, "checks/v1.2/smoke.py": true}
	exists := func(p string) bool { return files[p] }
	for _, c := range []struct {
		name      string
		c         Case
		exists    func(string) bool
		want      string
		derivable bool
	}{
		{name: "module function", c: Case{Class: "test_top", Name: "test_a"}, exists: exists, want: "test_top.py::test_a", derivable: true},
		{name: "nested class", c: Case{Class: "tests.api.test_orders.TestCart.TestEmpty", Name: "test_b"}, exists: exists,
			want: "tests/api/test_orders.py::TestCart::TestEmpty::test_b", derivable: true},
		{name: "params keep dots, colons and spaces", c: Case{Class: "tests.api.test_orders", Name: "test_c[1.5-a::b-x y]"}, exists: exists,
			want: "tests/api/test_orders.py::test_c[1.5-a::b-x y]", derivable: true},
		{name: "a directory with a dot needs xunit1's file attribute", c: Case{Class: "checks.v1.2.smoke.Suite", Name: "test_d"}, exists: exists},
		{name: "xunit1's file attribute", c: Case{Class: "checks.v1.2.smoke", Name: "test_e", ReportedFile: "checks/v1.2/smoke.py"},
			want: "checks/v1.2/smoke.py::test_e", derivable: true},
		{name: "default python_files without a file system", c: Case{Class: "tests.test_integration.test_api.TestX", Name: "test_f"},
			want: "tests/test_integration/test_api.py::TestX::test_f", derivable: true},
		{name: "nothing to go by", c: Case{Class: "checks.smoke", Name: "test_g"}},
		{name: "no classname", c: Case{Name: "test_h"}, exists: exists},
	} {
		got, ok := c.c.PytestNodeID(c.exists)
		if got != c.want || ok != c.derivable {
			t.Errorf("%s: PytestNodeID = %q, %v; want %q, %v", c.name, got, ok, c.want, c.derivable)
		}
	}
}

// The derivation matches real pytest: the ids `pytest --collect-only -q` prints are the ids derived
// from the report `pytest --junitxml` writes of the same suite (a class, a nested class, parametrised
// ids with brackets, dots and spaces, a nested directory with and without __init__.py, a unittest
// class), in both junit families.
func TestPytestNodeID_MatchesRealPytest(t *testing.T) {
	t.Parallel()
	pytest, err := exec.LookPath("pytest-3")
	if err != nil {
		pytest, err = exec.LookPath("pytest")
	}
	testenv.Require(t, "pytest (Debian's python3-pytest)", err)
	dir := t.TempDir()
	for name, src := range map[string]string{
		"test_top.py": "import pytest\n\n@pytest.mark.parametrize('x', [1.5, 'a::b', 'x y', '[z]'])\ndef test_param(x):\n    assert x != 'x y'\n\n" +
			"class TestOuter:\n    class TestInner:\n        def test_inner(self):\n            pass\n    def test_outer(self):\n        assert False\n",
		"tests/__init__.py":            "",
		"tests/api/__init__.py":        "",
		"tests/api/test_orders.py":     "import unittest\n\nclass OrdersCase(unittest.TestCase):\n    def test_total(self):\n        self.assertEqual(1, 2)\n\ndef test_list():\n    pass\n",
		"plain/deeper/test_no_init.py": "def test_plain():\n    pass\n",
		"plain/deeper/helpers_test.py": "import pytest\n\n@pytest.mark.parametrize('n', [0, 1])\ndef test_suffix(n):\n    assert n\n",
	} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run := func(args ...string) string {
		cmd := exec.Command(pytest, append([]string{"-p", "no:cacheprovider"}, args...)...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if _, ok := err.(*exec.ExitError); err != nil && !ok {
			t.Fatalf("%s: %v\n%s", cmd, err, out)
		}
		return string(out)
	}
	var collected []string
	for _, line := range strings.Split(run("--collect-only", "-q"), "\n") {
		if strings.Contains(line, "::") {
			collected = append(collected, line)
		}
	}
	if len(collected) != 11 {
		t.Fatalf("pytest collected %d ids: %q", len(collected), collected)
	}
	slices.Sort(collected)
	exists := func(p string) bool {
		fi, err := os.Stat(filepath.Join(dir, p))
		return err == nil && fi.Mode().IsRegular()
	}
	for _, family := range []string{"xunit2", "xunit1"} {
		xmlPath := filepath.Join(t.TempDir(), "junit.xml")
		run("-q", "-o", "junit_family="+family, "--junitxml="+xmlPath)
		data, err := os.ReadFile(xmlPath)
		if err != nil {
			t.Fatal(err)
		}
		var r Report
		if err := r.Parse(bytes.NewReader(data)); err != nil {
			t.Fatal(err)
		}
		for _, ex := range []struct {
			name   string
			exists func(string) bool
		}{{"files known", exists}, {"files unknown", nil}} {
			var derived []string
			for _, c := range r.Cases {
				if !c.FromPytest() {
					t.Errorf("%s: case %s of suite %q", family, c.Name, c.Suite)
				}
				id, ok := c.PytestNodeID(ex.exists)
				if !ok {
					t.Errorf("%s, %s: no id for %+v", family, ex.name, c)
				}
				derived = append(derived, id)
			}
			slices.Sort(derived)
			if !slices.Equal(derived, collected) {
				t.Errorf("%s, %s: derived\n%q\npytest collected\n%q", family, ex.name, derived, collected)
			}
		}
	}
	// And pytest selects exactly the failed cases by the derived ids, passed as argv.
	var r Report
	xmlPath := filepath.Join(t.TempDir(), "junit.xml")
	run("-q", "--junitxml="+xmlPath)
	data, _ := os.ReadFile(xmlPath)
	if err := r.Parse(bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	var failed []string
	for _, c := range r.Cases {
		if failing(c.Status) {
			id, _ := c.PytestNodeID(exists)
			failed = append(failed, id)
		}
	}
	out := run(append([]string{"-q", "-rA"}, failed...)...)
	if len(failed) != 4 || !strings.Contains(out, "4 failed") || strings.Contains(out, "passed") {
		t.Errorf("re-run of %q:\n%s", failed, out)
	}
}
