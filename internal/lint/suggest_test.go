package lint

import (
	"testing"
)

func TestSuggestionOf_NarrowsToTheChangedLines(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, diff string
		want       Suggestion
	}{
		{"replacement", "@@ -10,7 +10,7 @@\n a\n b\n c\n-x = {  'a':1 }\n+x = {\"a\": 1}\n d\n e\n f\n",
			Suggestion{File: "app.py", StartLine: 13, EndLine: 13, Text: "x = {\"a\": 1}\n"}},
		{"joined lines", "@@ -1,4 +1,3 @@\n import os\n-def f(a,\n-      b): pass\n+def f(a, b): pass\n",
			Suggestion{File: "app.py", StartLine: 2, EndLine: 3, Text: "def f(a, b): pass\n"}},
		{"insertion takes the line before", "@@ -4,4 +4,6 @@\n import os\n+\n+\n def f():\n",
			Suggestion{File: "app.py", StartLine: 4, EndLine: 4, Text: "import os\n\n\n"}},
		{"deletion", "@@ -5,5 +5,3 @@\n a\n-\n-\n b\n",
			Suggestion{File: "app.py", StartLine: 6, EndLine: 7}},
	} {
		got, ok := suggestionOf(Finding{Tool: "black", File: "app.py", Diff: tc.diff})
		tc.want.Tool = "black"
		if !ok || got != tc.want {
			t.Errorf("%s: got %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func TestSuggestions_OnlyOnLinesOfThePullRequest(t *testing.T) {
	t.Parallel()
	fs := []Finding{
		{Tool: "black", File: "a.py", Diff: "@@ -1,3 +1,3 @@\n x\n-y=1\n+y = 1\n z\n"},
		{Tool: "isort", File: "b.py", Diff: "@@ -1,2 +1,2 @@\n-import sys\n import os\n+import sys\n"},
		{Tool: "flake8", File: "a.py", Line: 2, Code: "E225"},
	}
	got, left := Suggestions(fs, Changes{"a.py": {{2, 2}}, "b.py": {{2, 2}}})
	if len(got) != 1 || got[0].File != "a.py" || left != 1 {
		t.Errorf("got %+v, %d left out; want a.py's only, b.py's left out", got, left)
	}
}
