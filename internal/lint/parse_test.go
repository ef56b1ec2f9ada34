package lint

import (
	"strings"
	"testing"
)

func TestFormatterFindings_PointAtChangedLines(t *testing.T) {
	t.Parallel()
	diff := "--- /w/app/a.py\t2026-01-01 00:00:00\n+++ /w/app/a.py\t2026-01-01 00:00:01\n" +
		"@@ -1,6 +1,8 @@\n import os\n import json\n-def f(x:int):\n+\n+\n+def f(x: int):\n     return x\n ok = 1\n ok = 2\n" +
		"@@ -20,3 +22,2 @@\n a = 1\n-b=2\n-c=3\n+b = 2\n"
	fs := formatterFindings("black", diff, func(p string) string { return strings.TrimPrefix(p, "/w/") })
	var got []string
	for _, f := range fs {
		got = append(got, f.File+":"+LineSpan(f.Line, f.EndLine))
	}
	if want := "app/a.py:line 3 app/a.py:lines 21-22"; strings.Join(got, " ") != want {
		t.Errorf("got %q, want %q", strings.Join(got, " "), want)
	}
}

func TestParseMypyAndFlake8(t *testing.T) {
	t.Parallel()
	id := func(s string) string { return s }
	m := parseMypy("a.py:3:5: error: Bad thing  [arg-type]\na.py:4: note: See here\nSuccess: no issues\n", id)
	if len(m) != 2 || m[0].Code != "arg-type" || m[0].Col != 5 || m[1].Severity != SeverityNotice {
		t.Errorf("mypy = %+v", m)
	}
	f := parseFlake8("./x.py:1:2: W291 trailing whitespace\nx.py:3:1: E302 expected 2 blank lines\ngarbage\n", id)
	if len(f) != 2 || f[0].Severity != SeverityWarning || f[1].Severity != SeverityError {
		t.Errorf("flake8 = %+v", f)
	}
}

// FuzzParsers feeds arbitrary tool output (untrusted) to every parser: no panic, no finding with a
// negative line, and a diff's findings always inside the file's lines.
func FuzzParsers(f *testing.F) {
	for _, s := range []string{
		"--- a\n+++ b\n@@ -1,2 +1,3 @@\n x\n-y\n+z\n+w\n",
		"--- a\n+++ b\n@@ -0,0 +1 @@\n+x\n",
		"a.py:1:2: E1 m\n", "a.py:1: error: x  [c]\n", `[{"type":"error","line":1,"column":0,"path":"a"}]`,
		"@@ -5 +5 @@\n", "--- \n+++ \n@@ -99999999999999999999,1 +1 @@\n",
		"--- \"a/caf\\303\\251.py\"\n+++ \"b/caf\\303\\251.py\"\n@@ -1 +1 @@\n-x\n+y\n", "--- \"a/\\3\"\n+++ \"b/\\\"\n",
	} {
		f.Add(s)
	}
	id := func(s string) string { return s }
	f.Fuzz(func(t *testing.T, text string) {
		all := append(formatterFindings("black", text, id), parseFlake8(text, id)...)
		all = append(all, parseMypy(text, id)...)
		if p, err := parsePylint(text, id); err == nil {
			all = append(all, p...)
		}
		if r, err := parseRuff(text, id); err == nil {
			all = append(all, r...)
		}
		for _, fd := range all {
			if fd.Line < 0 || fd.EndLine < 0 {
				t.Fatalf("negative line in %+v", fd)
			}
		}
		for _, fd := range parseUnifiedDiff(text, true) {
			_ = fd.NewPath
		}
		// Config values are the project's text: reading a regexp out of one never panics.
		compileAll(pythonRegexp(text), fnmatchRegexp(text))
	})
}

func TestBlackWorkersOnlyWhereBlackHasTheOption(t *testing.T) {
	t.Parallel()
	black, _ := lookup("black")
	for version, want := range map[string]bool{"23.1.0": true, "24.2.0": true, "22.12.0": false, "": false, "23.1a1": true} {
		args := strings.Join(black.args(invocation{paths: []string{"."}, jobs: 1, version: version}), " ")
		if got := strings.Contains(args, "--workers=1"); got != want {
			t.Errorf("black %q: %s", version, args)
		}
	}
}
