// Package actions_test checks what spans the five actions: the root action.yml that forwards to them,
// and the image that holds them.
package actions_test

import (
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/slipway-actions/slipway/internal/actionkit"
	"gopkg.in/yaml.v3"
)

var update = flag.Bool("update", false, "rewrite the root action.yml from the five actions")

// actionNames lists the directories under actions/ that hold an action.
func actionNames(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if _, err := os.Stat(filepath.Join(e.Name(), "action.yml")); e.IsDir() && err == nil {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names
}

func loadMetadata(t *testing.T, path string) *actionkit.Metadata {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := actionkit.ParseMetadata(b)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

// rootActionYML renders the root action.yml: a "command" input and every input of the five actions,
// without defaults (each program applies its own action.yml's defaults to inputs left empty).
func rootActionYML(t *testing.T) string {
	t.Helper()
	names := actionNames(t)
	descs := map[string][]string{}
	for _, n := range names {
		m := loadMetadata(t, filepath.Join(n, "action.yml"))
		for _, in := range m.InputNames() {
			d := strings.Join(strings.Fields(m.Inputs[in].Description), " ")
			descs[in] = append(descs[in], fmt.Sprintf("%s: %s", n, d))
		}
	}
	var b strings.Builder
	b.WriteString("# Generated from actions/*/action.yml by `go test ./actions -run TestRootAction -update`; do not edit.\n")
	b.WriteString("name: slipway\n")
	b.WriteString("description: From pull request to production for Python platforms - lint, E2E, build and push, ECS deploy, Flagsmith rollout.\n")
	b.WriteString("author: slipway-actions\nbranding:\n  icon: anchor\n  color: blue\ninputs:\n")
	b.WriteString("  command:\n    description: The action to run - " + strings.Join(names, ", ") + ".\n    required: true\n")
	ins := make([]string, 0, len(descs))
	for in := range descs {
		ins = append(ins, in)
	}
	sort.Strings(ins)
	for _, in := range ins {
		q, _ := yaml.Marshal(strings.Join(descs[in], " | "))
		fmt.Fprintf(&b, "  %s:\n    description: %s", in, q)
	}
	b.WriteString("outputs:\n")
	outs := map[string][]string{}
	for _, n := range names {
		m := loadMetadata(t, filepath.Join(n, "action.yml"))
		for out, spec := range m.Outputs {
			outs[out] = append(outs[out], fmt.Sprintf("%s: %s", n, strings.Join(strings.Fields(spec.Description), " ")))
		}
	}
	for _, o := range sortedOutputs(outs) {
		q, _ := yaml.Marshal(strings.Join(outs[o], " | "))
		fmt.Fprintf(&b, "  %s:\n    description: %s", o, q)
	}
	b.WriteString("runs:\n  using: docker\n  image: " + actionsImage(t) + "\n  entrypoint: /usr/local/bin/slipway\n")
	return b.String()
}

// actionsImage is the image the actions run (a release pins it by digest in every action.yml).
func actionsImage(t *testing.T) string {
	t.Helper()
	image := ""
	for _, n := range actionNames(t) {
		m := loadMetadata(t, filepath.Join(n, "action.yml"))
		if image != "" && m.Runs.Image != image {
			t.Fatalf("%s/action.yml runs %s, another action %s: every action runs one image", n, m.Runs.Image, image)
		}
		image = m.Runs.Image
	}
	return image
}

func TestRootAction_ForwardsEveryInputOfTheFiveActions(t *testing.T) {
	want := rootActionYML(t)
	path := filepath.Join("..", "action.yml")
	if *update {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("action.yml is not what the five actions declare; run: go test ./actions -run TestRootAction -update")
	}
	m := loadMetadata(t, path)
	if !m.Inputs["command"].Required {
		t.Error(`root input "command" is not required`)
	}
}

// TestActions_RunOneProgramOfTheImage: every action.yml runs the image's one program, slipway, with
// its own name as the subcommand, and the Dockerfile ships that program as what they run.
func TestActions_RunOneProgramOfTheImage(t *testing.T) {
	t.Parallel()
	for _, n := range actionNames(t) {
		m := loadMetadata(t, filepath.Join(n, "action.yml"))
		if m.Runs.Entrypoint != "/usr/local/bin/slipway" || !slices.Equal(m.Runs.Args, []string{n}) {
			t.Errorf("%s/action.yml: entrypoint %q args %q, want /usr/local/bin/slipway [%s]", n, m.Runs.Entrypoint, m.Runs.Args, n)
		}
	}
	root := loadMetadata(t, filepath.Join("..", "action.yml"))
	if root.Runs.Entrypoint != "/usr/local/bin/slipway" || len(root.Runs.Args) != 0 {
		t.Errorf("action.yml: entrypoint %q args %q, want /usr/local/bin/slipway, no args (the command input picks)", root.Runs.Entrypoint, root.Runs.Args)
	}
	b, err := os.ReadFile(filepath.Join("..", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^COPY bin/slipway /usr/local/bin/slipway$`).Match(b) {
		t.Error("the Dockerfile does not COPY bin/slipway /usr/local/bin/slipway")
	}
}

func sortedOutputs[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

// TestActions_EachPassesTheContract: every action has a test that runs actiontest.CheckAction with
// the fakes of what it talks to (so its bad-input run is seen to send nothing and its secret run to
// leak nothing), and a TestMain that lets CheckAction start the test binary as the action.
func TestActions_EachPassesTheContract(t *testing.T) {
	t.Parallel()
	for _, n := range actionNames(t) {
		files, err := filepath.Glob(filepath.Join(n, "*_test.go"))
		if err != nil {
			t.Fatal(err)
		}
		var all strings.Builder
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			all.Write(b)
		}
		src := all.String()
		if !strings.Contains(src, "actiontest.CheckAction(t, actiontest.ActionSpec{") || !strings.Contains(src, "\t\tFakes: func(") {
			t.Errorf("%s: no test runs actiontest.CheckAction with Fakes", n)
		}
		if !strings.Contains(src, "actiontest.MainAsAction(m, Main)") && !strings.Contains(src, `os.Getenv("SLIPWAY_TEST_AS_ACTION") == "1"`) {
			t.Errorf("%s: no TestMain runs the test binary as the action (actiontest.MainAsAction)", n)
		}
	}
}
