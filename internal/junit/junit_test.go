package junit

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// pytest's default (xunit2) report: no file or line attributes; the traceback names the line.
const pytestReport = `<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" errors="1" failures="1" skipped="1" tests="4" time="0.512">
<testcase classname="tests.test_api" name="test_health" time="0.010"/>
<testcase classname="tests.test_api" name="test_orders" time="0.200"><failure message="AssertionError: assert 500 == 200">def test_orders(client):
        r = client.get("/orders")
&gt;       assert r.status_code == 200
E       AssertionError: assert 500 == 200

tests/test_api.py:12: AssertionError</failure></testcase>
<testcase classname="tests.test_db" name="test_migrate" time="0.300"><error message="failed on setup with &quot;ConnectionRefusedError&quot;">conftest.py:8: in db
    conn = connect()
E   ConnectionRefusedError</error></testcase>
<testcase classname="tests.test_api" name="test_later" time="0.000"><skipped type="pytest.skip" message="not yet">tests/test_api.py:30: not yet</skipped></testcase>
</testsuite></testsuites>`

func TestParse_PytestReport(t *testing.T) {
	t.Parallel()
	var r Report
	if err := r.Parse(strings.NewReader(pytestReport)); err != nil {
		t.Fatal(err)
	}
	if r.Tests != 4 || r.Failures != 1 || r.Errors != 1 || r.Skipped != 1 || r.Passed() != 1 || !r.Failed() {
		t.Errorf("totals: %+v", r)
	}
	if r.Time != 510*time.Millisecond {
		t.Errorf("time = %s", r.Time)
	}
	f := r.Cases[1]
	if f.Status != Failed || f.File != "tests/test_api.py" || f.Line != 12 || f.Message != "AssertionError: assert 500 == 200" {
		t.Errorf("failure = %+v", f)
	}
	if e := r.Cases[2]; e.Status != Errored || e.File != "conftest.py" || e.Line != 8 {
		t.Errorf("error = %+v", e)
	}
	if s := r.Cases[3]; s.Status != Skipped || s.File != "" || s.Message != "not yet" {
		t.Errorf("skipped = %+v", s)
	}
}

func TestParse_BareSuiteWithFileAttributesAndNesting(t *testing.T) {
	t.Parallel()
	var r Report
	err := r.Parse(strings.NewReader(`<testsuite name="e2e" file="e2e/checkout.spec.ts">
  <testsuite name="cart"><testcase name="adds" time="1.5"><failure>Error: expected 2
    at e2e/checkout.spec.ts:41:7</failure></testcase></testsuite>
  <testcase name="pays" file="e2e/pay.spec.ts" line="9" time="2"/>
</testsuite>`))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Cases) != 2 || r.Cases[0].File != "e2e/checkout.spec.ts" || r.Cases[0].Line != 41 || r.Cases[1].Line != 9 {
		t.Errorf("cases = %+v", r.Cases)
	}
}

func TestParse_RefusesWhatIsNotJUnit(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"", "<html><body>502</body></html>", "<testsuite><testcase", "not xml"} {
		var r Report
		if err := r.Parse(strings.NewReader(in)); err == nil {
			t.Errorf("Parse(%q) = nil error", in)
		}
	}
}

// Reports come out of test containers: any input parses or fails cleanly, and what is kept is bounded.
func FuzzParse(f *testing.F) {
	f.Add(pytestReport)
	f.Add(`<testsuites><testcase name="x"><failure message="m">a.py:1: E</failure></testcase></testsuites>`)
	f.Add(`<testsuite><testcase name="f"><flakyFailure message="m"><stackTrace>a.py:1: E</stackTrace></flakyFailure></testcase>` +
		`<testcase name="r"><error/><rerunFailure/><rerunError message="again"/></testcase></testsuite>`)
	f.Fuzz(func(t *testing.T, in string) {
		var r Report
		if err := r.Parse(strings.NewReader(in)); err != nil {
			return
		}
		if r.Tests != len(r.Cases) || r.Passed() < 0 {
			t.Errorf("totals %d/%d disagree with %d cases", r.Tests, r.Passed(), len(r.Cases))
		}
		for _, c := range r.Cases {
			if len(c.Detail) > maxDetail+len("\n…") {
				t.Errorf("detail of %d bytes kept", len(c.Detail))
			}
		}
	})
}

func TestLocator_MapsContainerPathsToTheRepository(t *testing.T) {
	t.Parallel()
	ws := t.TempDir()
	for _, f := range []string{"api/tests/test_main.py", "e2e/test_platform.py", "web/tests/test_main.py", "tools/only_here.py", "api/conftest.py"} {
		if err := os.MkdirAll(filepath.Join(ws, filepath.Dir(f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(ws, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	l := &Locator{Workspace: ws, WorkingDir: "/srv", Roots: []Root{
		{Container: "/srv", Host: filepath.Join(ws, "api")},     // the image's WORKDIR, built from api/
		{Container: "/mnt/e2e", Host: filepath.Join(ws, "e2e")}, // a bind mount
	}}
	for in, want := range map[string]string{
		"tests/test_main.py":        "api/tests/test_main.py", // relative to the working directory
		"/srv/tests/test_main.py":   "api/tests/test_main.py",
		"conftest.py":               "api/conftest.py",
		"/mnt/e2e/test_platform.py": "e2e/test_platform.py",
		"e2e/test_platform.py":      "e2e/test_platform.py",    // already a path of the workspace
		"/app/tools/only_here.py":   "tools/only_here.py",      // a unique suffix
		"/app/tests/test_main.py":   "/app/tests/test_main.py", // two files end so: left as it is
		"/nowhere/missing.py":       "/nowhere/missing.py",
		"":                          "",
	} {
		if got := l.Find(in); got != want {
			t.Errorf("Find(%q) = %q, want %q", in, got, want)
		}
	}
}

// A traceback that ends in a library is annotated at its last frame in the repository.
func TestLocator_PlacesAFailureAtItsLastFrameInTheRepository(t *testing.T) {
	t.Parallel()
	ws := t.TempDir()
	for _, f := range []string{"api/tests/test_main.py", "api/app/db.py"} {
		if err := os.MkdirAll(filepath.Join(ws, filepath.Dir(f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(ws, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var r Report
	err := r.Parse(strings.NewReader(`<testsuite><testcase classname="tests.test_main.PostgresTest" name="test_total"><failure message="OperationalError">
tests/test_main.py:50: 
app/db.py:39: in __init__
    self._conn = psycopg2.connect(url)
/usr/lib/python3/dist-packages/psycopg2/__init__.py:122: OperationalError</failure></testcase></testsuite>`))
	if err != nil {
		t.Fatal(err)
	}
	c := r.Cases[0]
	if c.File != "/usr/lib/python3/dist-packages/psycopg2/__init__.py" || len(c.Frames) != 3 {
		t.Fatalf("case = %+v", c)
	}
	(&Locator{Workspace: ws, WorkingDir: "/srv", Roots: []Root{{Container: "/srv", Host: filepath.Join(ws, "api")}}}).Place(&c)
	if c.File != "api/app/db.py" || c.Line != 39 {
		t.Errorf("placed at %s:%d, want api/app/db.py:39", c.File, c.Line)
	}
}
