package actions_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// The contract between the workflows (this repository's reusable ones and the examples' callers) and
// the actions and workflows they use: every with: key is an input, every required input is given,
// every steps.X.outputs.Y / needs.X.outputs.Y / jobs.X.outputs.Y names an output that exists, and
// third-party actions are pinned by full commit SHA.

type workflowFile struct {
	On   triggers           `yaml:"-"`
	Jobs map[string]jobSpec `yaml:"jobs"`
}

// triggers are the on: section's reusable and manual triggers (on: may also be a name or a list).
type triggers struct {
	WorkflowCall *struct {
		Inputs  map[string]param `yaml:"inputs"`
		Secrets map[string]param `yaml:"secrets"`
		Outputs map[string]struct {
			Value string `yaml:"value"`
		} `yaml:"outputs"`
	} `yaml:"workflow_call"`
	WorkflowDispatch *struct {
		Inputs map[string]param `yaml:"inputs"`
	} `yaml:"workflow_dispatch"`
}

type param struct {
	Required bool `yaml:"required"`
	Default  any  `yaml:"default"`
}

type jobSpec struct {
	Uses    string            `yaml:"uses"`
	With    map[string]any    `yaml:"with"`
	Secrets yaml.Node         `yaml:"secrets"`
	Needs   yaml.Node         `yaml:"needs"`
	Outputs map[string]string `yaml:"outputs"`
	Steps   []struct {
		ID   string         `yaml:"id"`
		Uses string         `yaml:"uses"`
		With map[string]any `yaml:"with"`
	} `yaml:"steps"`
	raw yaml.Node
}

var (
	ownAction   = regexp.MustCompile(`^(?:\./actions/|slipway-actions/slipway/actions/)([a-z0-9-]+)(?:@.+)?$`)
	rootAction  = regexp.MustCompile(`^(?:\./?|slipway-actions/slipway@.+)$`)
	ownWorkflow = regexp.MustCompile(`^(?:\./\.github/workflows/|slipway-actions/slipway/\.github/workflows/)([a-z0-9-]+\.yml)(?:@.+)?$`)
	pinned      = regexp.MustCompile(`^[\w.-]+/[\w./-]+@[0-9a-f]{40}$`)
	stepsRef    = regexp.MustCompile(`steps\.([\w-]+)\.outputs\.([\w-]+)`)
	needsRef    = regexp.MustCompile(`needs\.([\w-]+)\.outputs\.([\w-]+)`)
	needsResult = regexp.MustCompile(`needs\.([\w-]+)\.result\b`)
	jobsRef     = regexp.MustCompile(`jobs\.([\w-]+)\.outputs\.([\w-]+)`)
	inputsRef   = regexp.MustCompile(`\binputs\.([\w-]+)`)
)

// workflowFiles lists this repository's workflows and the examples' callers.
func workflowFiles(t *testing.T) []string {
	t.Helper()
	files, _ := filepath.Glob("../.github/workflows/*.yml")
	examples, _ := filepath.Glob("../examples/*/.github/workflows/*.yml")
	return append(files, examples...)
}

func readWorkflow(path string) (*workflowFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var wf workflowFile
	if err := yaml.Unmarshal(data, &wf); err != nil {
		return nil, err
	}
	var doc struct {
		On   yaml.Node            `yaml:"on"`
		Jobs map[string]yaml.Node `yaml:"jobs"`
	}
	_ = yaml.Unmarshal(data, &doc)
	if doc.On.Kind == yaml.MappingNode {
		if err := doc.On.Decode(&wf.On); err != nil {
			return nil, err
		}
	}
	for name, j := range wf.Jobs {
		j.raw = doc.Jobs[name]
		wf.Jobs[name] = j
	}
	return &wf, nil
}

// strings of a YAML node, every scalar below it.
func scalars(n *yaml.Node) []string {
	if n == nil {
		return nil
	}
	if n.Kind == yaml.ScalarNode {
		return []string{n.Value}
	}
	var out []string
	for _, c := range n.Content {
		out = append(out, scalars(c)...)
	}
	return out
}

func nodeList(n yaml.Node) []string {
	switch n.Kind {
	case yaml.ScalarNode:
		return []string{n.Value}
	case yaml.SequenceNode:
		var out []string
		for _, c := range n.Content {
			out = append(out, c.Value)
		}
		return out
	}
	return nil
}

// checkWorkflow returns every contract violation of one workflow file.
func checkWorkflow(path string) []string {
	wf, err := readWorkflow(path)
	if err != nil {
		return []string{fmt.Sprintf("%s: %v", path, err)}
	}
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, path+": "+fmt.Sprintf(format, args...)) }
	metaCache := map[string]*actionSpec{}
	action := func(name string) *actionSpec {
		if m, ok := metaCache[name]; ok {
			return m
		}
		file := filepath.Join(name, "action.yml")
		if name == "" {
			file = "../action.yml"
		}
		m, err := readActionSpec(file)
		if err != nil {
			bad("%v", err)
		}
		metaCache[name] = m
		return m
	}
	declared := map[string]bool{}
	if c := wf.On.WorkflowCall; c != nil {
		for k := range c.Inputs {
			declared[k] = true
		}
		for name, o := range c.Outputs {
			for _, m := range jobsRef.FindAllStringSubmatch(o.Value, -1) {
				j, ok := wf.Jobs[m[1]]
				if !ok {
					bad("output %s: no job %s", name, m[1])
				} else if _, ok := j.Outputs[m[2]]; !ok {
					bad("output %s: job %s has no output %s", name, m[1], m[2])
				}
			}
		}
	}
	if d := wf.On.WorkflowDispatch; d != nil {
		for k := range d.Inputs {
			declared[k] = true
		}
	}
	jobNames := make([]string, 0, len(wf.Jobs))
	for n := range wf.Jobs {
		jobNames = append(jobNames, n)
	}
	sort.Strings(jobNames)
	// outputsOf is what needs.<job>.outputs offers: a job's outputs, or a called workflow's.
	outputsOf := func(name string) (map[string]bool, bool) {
		j, ok := wf.Jobs[name]
		if !ok {
			return nil, false
		}
		out := map[string]bool{}
		for k := range j.Outputs {
			out[k] = true
		}
		if m := ownWorkflow.FindStringSubmatch(j.Uses); m != nil {
			called, err := readWorkflow(filepath.Join("../.github/workflows", m[1]))
			if err == nil && called.On.WorkflowCall != nil {
				for k := range called.On.WorkflowCall.Outputs {
					out[k] = true
				}
			}
		}
		return out, true
	}
	for _, name := range jobNames {
		j := wf.Jobs[name]
		text := strings.Join(scalars(&j.raw), "\n")
		if len(declared) > 0 {
			for _, m := range inputsRef.FindAllStringSubmatch(text, -1) {
				if !declared[m[1]] {
					bad("job %s: inputs.%s is not an input of this workflow", name, m[1])
				}
			}
		}
		needs := nodeList(j.Needs)
		for _, m := range needsRef.FindAllStringSubmatch(text, -1) {
			if !slices.Contains(needs, m[1]) {
				bad("job %s: needs.%s is not in its needs", name, m[1])
				continue
			}
			outs, ok := outputsOf(m[1])
			if !ok || !outs[m[2]] {
				bad("job %s: job %s has no output %s", name, m[1], m[2])
			}
		}
		for _, m := range needsResult.FindAllStringSubmatch(text, -1) {
			if !slices.Contains(needs, m[1]) {
				bad("job %s: needs.%s.result: %s is not in its needs", name, m[1], m[1])
			}
		}
		stepUses := map[string]string{}
		for _, s := range j.Steps {
			if s.ID != "" {
				stepUses[s.ID] = s.Uses
			}
		}
		for _, m := range stepsRef.FindAllStringSubmatch(text, -1) {
			uses, ok := stepUses[m[1]]
			if !ok {
				bad("job %s: steps.%s is not a step id of the job", name, m[1])
				continue
			}
			if a := ownAction.FindStringSubmatch(uses); a != nil {
				if spec := action(a[1]); spec != nil && !spec.outputs[m[2]] {
					bad("job %s: %s has no output %s", name, a[1], m[2])
				}
			}
		}
		if m := ownWorkflow.FindStringSubmatch(j.Uses); m != nil {
			called, err := readWorkflow(filepath.Join("../.github/workflows", m[1]))
			if err != nil || called.On.WorkflowCall == nil {
				bad("job %s: %s is not a reusable workflow of slipway (%v)", name, j.Uses, err)
				continue
			}
			c := called.On.WorkflowCall
			for k := range j.With {
				if _, ok := c.Inputs[k]; !ok {
					bad("job %s: %s has no input %q", name, m[1], k)
				}
			}
			for k, p := range c.Inputs {
				if _, given := j.With[k]; p.Required && p.Default == nil && !given {
					bad("job %s: required input %q of %s is not given", name, k, m[1])
				}
			}
			secrets := map[string]bool{}
			if j.Secrets.Kind == yaml.MappingNode {
				for i := 0; i < len(j.Secrets.Content); i += 2 {
					secrets[j.Secrets.Content[i].Value] = true
				}
			}
			inherit := j.Secrets.Kind == yaml.ScalarNode && j.Secrets.Value == "inherit"
			for k := range secrets {
				if _, ok := c.Secrets[k]; !ok {
					bad("job %s: %s has no secret %q", name, m[1], k)
				}
			}
			for k, p := range c.Secrets {
				if p.Required && !secrets[k] && !inherit {
					bad("job %s: required secret %q of %s is not given", name, k, m[1])
				}
			}
		} else if j.Uses != "" && !pinned.MatchString(j.Uses) {
			bad("job %s: %s is not pinned by commit SHA", name, j.Uses)
		}
		for i, s := range j.Steps {
			switch {
			case s.Uses == "" || strings.HasPrefix(s.Uses, "docker://"):
			case ownAction.MatchString(s.Uses) || rootAction.MatchString(s.Uses):
				n := ""
				if a := ownAction.FindStringSubmatch(s.Uses); a != nil {
					n = a[1]
				}
				spec := action(n)
				if spec == nil {
					continue
				}
				for k := range s.With {
					if !spec.inputs[k] {
						bad("job %s step %d: %s has no input %q", name, i+1, s.Uses, k)
					}
				}
				for k := range spec.required {
					if _, ok := s.With[k]; !ok {
						bad("job %s step %d: required input %q of %s is not given", name, i+1, k, s.Uses)
					}
				}
			case !pinned.MatchString(s.Uses):
				bad("job %s step %d: %s is not pinned by commit SHA", name, i+1, s.Uses)
			}
		}
	}
	return problems
}

type actionSpec struct {
	inputs, required, outputs map[string]bool
}

func readActionSpec(path string) (*actionSpec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var a struct {
		Inputs map[string]struct {
			Required bool    `yaml:"required"`
			Default  *string `yaml:"default"`
		} `yaml:"inputs"`
		Outputs map[string]any `yaml:"outputs"`
	}
	if err := yaml.Unmarshal(data, &a); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	s := &actionSpec{inputs: map[string]bool{}, required: map[string]bool{}, outputs: map[string]bool{}}
	for k, in := range a.Inputs {
		s.inputs[k] = true
		if in.Required && in.Default == nil {
			s.required[k] = true
		}
	}
	for k := range a.Outputs {
		s.outputs[k] = true
	}
	return s, nil
}

func TestWorkflows_UseActionsAndWorkflowsAsTheyAreDeclared(t *testing.T) {
	t.Parallel()
	files := workflowFiles(t)
	var names []string
	for _, f := range files {
		names = append(names, filepath.Base(f))
	}
	for _, want := range []string{"pull-request.yml", "merge.yml", "release.yml", "rollout.yml", "main.yml"} {
		if !slices.Contains(names, want) {
			t.Errorf("no workflow %s among %v", want, names)
		}
	}
	for _, f := range files {
		for _, p := range checkWorkflow(f) {
			t.Error(p)
		}
	}
}

// The checker itself: a caller with every kind of mistake gets every one reported.
func TestWorkflows_CheckerCatchesEachKindOfMistake(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := `on: push
jobs:
  build:
    runs-on: ubuntu-latest
    outputs:
      digest: ${{ steps.build.outputs.no-such-output }}
    steps:
      - uses: actions/checkout@v4
      - id: build
        uses: slipway-actions/slipway/actions/build-push-images@v0
        with:
          registry: docker.io/acme
      - run: echo ${{ steps.nope.outputs.x }}
  deploy:
    needs: build
    uses: slipway-actions/slipway/.github/workflows/merge.yml@v0
    with:
      images: ${{ needs.build.outputs.imagez }}
      colour: blue
    secrets:
      token: x
  later:
    runs-on: ubuntu-latest
    steps:
      - run: echo ${{ needs.build.outputs.digest }}
      - if: needs.deploy.result == 'success'
        run: echo deployed
`
	path := filepath.Join(dir, "bad.yml")
	if err := os.WriteFile(path, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(checkWorkflow(path), "\n")
	for _, want := range []string{
		`job build step 1: actions/checkout@v4 is not pinned by commit SHA`,
		`job build step 2: slipway-actions/slipway/actions/build-push-images@v0 has no input "registry"`,
		`job build step 2: required input "images" of slipway-actions/slipway/actions/build-push-images@v0 is not given`,
		`job build: build-push-images has no output no-such-output`,
		`job build: steps.nope is not a step id of the job`,
		`job deploy: job build has no output imagez`,
		`job deploy: merge.yml has no input "colour"`,
		`job deploy: required input "registry" of merge.yml is not given`,
		`job deploy: merge.yml has no secret "token"`,
		`job later: needs.build is not in its needs`,
		`job later: needs.deploy.result: deploy is not in its needs`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("not reported: %s\ngot:\n%s", want, got)
		}
	}
}
