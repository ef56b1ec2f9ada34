package actions_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// docs/promises.md lists every promise of the READMEs with the tests that prove it: a section per action
// ("## <action>") and one for the root README ("## slipway"), each a table of "| promise | tests |".
// This test keeps the list honest: every test it names exists, every row names one, and every input of an
// action is named (in backticks) by a promise of its section, so a new input cannot go without a test.
func TestPromises_EveryPromiseNamesTestsThatExist(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "docs", "promises.md"))
	if err != nil {
		t.Fatal(err)
	}
	tests := testFunctions(t, "..")
	sections := promiseSections(string(b))
	testName := regexp.MustCompile("`((?:Test|Fuzz|Benchmark)[A-Za-z0-9_]+)(/[^`]*)?`")
	for section, rows := range sections {
		if len(rows) == 0 {
			t.Errorf("section %q has no promises", section)
		}
		for _, row := range rows {
			names := testName.FindAllStringSubmatch(row.tests, -1)
			if len(names) == 0 {
				t.Errorf("%s: %q names no test", section, row.promise)
			}
			for _, n := range names {
				if !tests[n[1]] {
					t.Errorf("%s: %q names %s, which no _test.go declares", section, row.promise, n[1])
				}
			}
		}
	}
	for _, name := range actionNames(t) {
		rows, ok := sections[name]
		if !ok {
			t.Errorf("docs/promises.md has no section for %s", name)
			continue
		}
		var promised strings.Builder
		for _, row := range rows {
			promised.WriteString(row.promise + "\n")
		}
		for _, in := range loadMetadata(t, filepath.Join(name, "action.yml")).InputNames() {
			if p := promised.String(); !strings.Contains(p, "`"+in+"`") && !strings.Contains(p, "`"+in+":") {
				t.Errorf("%s: no promise names the input `%s`", name, in)
			}
		}
	}
	if _, ok := sections["slipway"]; !ok {
		t.Errorf("docs/promises.md has no section for the root README (## slipway)")
	}
}

type promiseRow struct{ promise, tests string }

// promiseSections reads the tables of docs/promises.md by section.
func promiseSections(doc string) map[string][]promiseRow {
	sections := map[string][]promiseRow{}
	section := ""
	for _, line := range strings.Split(doc, "\n") {
		switch {
		case strings.HasPrefix(line, "## "):
			section = strings.Fields(line)[1]
			sections[section] = nil
		case section != "" && strings.HasPrefix(line, "| ") && !strings.HasPrefix(line, "| Promise") && !strings.HasPrefix(line, "| ---"):
			cells := strings.Split(strings.Trim(line, "| "), " | ")
			if len(cells) != 2 {
				sections[section] = append(sections[section], promiseRow{promise: line})
				continue
			}
			sections[section] = append(sections[section], promiseRow{promise: cells[0], tests: cells[1]})
		}
	}
	return sections
}

// testFunctions is every Test, Fuzz and Benchmark function the repository's _test.go files declare.
func testFunctions(t *testing.T, root string) map[string]bool {
	t.Helper()
	decl := regexp.MustCompile(`(?m)^func ((?:Test|Fuzz|Benchmark)[A-Za-z0-9_]+)\(`)
	found := map[string]bool{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "testdata" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range decl.FindAllStringSubmatch(string(b), -1) {
			found[m[1]] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}
