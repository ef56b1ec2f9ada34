package actions_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	beginTables = "<!-- inputs: generated from action.yml by `go test ./actions -run TestREADME -update` -->"
	endTables   = "<!-- end inputs -->"
)

// readmeTables renders the inputs and outputs of an action.yml as Markdown tables.
func readmeTables(t *testing.T, name string) string {
	t.Helper()
	m := loadMetadata(t, filepath.Join(name, "action.yml"))
	cell := func(s string) string {
		return strings.ReplaceAll(strings.Join(strings.Fields(s), " "), "|", "\\|")
	}
	var b strings.Builder
	b.WriteString(beginTables + "\n\n| input | required | default | description |\n| --- | --- | --- | --- |\n")
	for _, n := range m.InputNames() {
		in := m.Inputs[n]
		req := ""
		if in.Required {
			req = "yes"
		}
		def := ""
		if in.Default != "" {
			def = "`" + cell(in.Default) + "`"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", n, req, def, cell(in.Description))
	}
	b.WriteString("\n| output | description |\n| --- | --- |\n")
	for _, n := range sortedOutputs(m.Outputs) {
		fmt.Fprintf(&b, "| `%s` | %s |\n", n, cell(m.Outputs[n].Description))
	}
	b.WriteString("\n" + endTables)
	return b.String()
}

func TestREADME_EachActionDocumentsItsInputs(t *testing.T) {
	for _, name := range actionNames(t) {
		path := filepath.Join(name, "README.md")
		b, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		text := string(b)
		i, j := strings.Index(text, beginTables), strings.Index(text, endTables)
		if i < 0 || j < i {
			t.Errorf("%s has no generated inputs block (%q ... %q)", path, beginTables, endTables)
			continue
		}
		want := text[:i] + readmeTables(t, name) + text[j+len(endTables):]
		if *update {
			if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if text != want {
			t.Errorf("%s is out of date with action.yml; run: go test ./actions -run TestREADME -update", path)
		}
	}
}
