package actions_test

import (
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// A caller that gives none of the new inputs (platforms, test-images, e2e-shards) runs the jobs it ran
// before them, step for step. The check projects each workflow onto those inputs' defaults, as GitHub
// would run it: a job or step whose if is false is dropped, and so is every job that needs a dropped
// one without a status function in its if (GitHub skips it); what is left of an if, a needs, or an
// expression that read a dropped job's or step's outputs (empty) is kept; a with: that evaluates to
// the action's default is dropped. The golden files in testdata/workflows were written from the
// workflows as they were before those inputs (go test ./actions -run TestWorkflows_DefaultInputs -update),
// so this test fails when the default path changes.

// defaultInputs are the new inputs' defaults, per workflow.
var defaultInputs = map[string]map[string]string{
	"merge.yml":        {"platforms": ""},
	"release.yml":      {"platforms": ""},
	"pull-request.yml": {"test-images": "", "e2e-shards": "1"},
}

func TestWorkflows_DefaultInputsKeepTodaysJobs(t *testing.T) {
	t.Parallel()
	for name, inputs := range defaultInputs {
		data, err := os.ReadFile(filepath.Join("..", ".github", "workflows", name))
		if err != nil {
			t.Fatal(err)
		}
		var wf struct {
			On struct {
				WorkflowCall struct {
					Outputs map[string]struct {
						Value string `yaml:"value"`
					} `yaml:"outputs"`
				} `yaml:"workflow_call"`
			} `yaml:"on"`
			Jobs map[string]map[string]any `yaml:"jobs"`
		}
		if err := yaml.Unmarshal(data, &wf); err != nil {
			t.Fatal(err)
		}
		p := project(t, inputs, wf.Jobs)
		outputs := map[string]string{}
		for k, o := range wf.On.WorkflowCall.Outputs {
			outputs[k] = p.simplify(o.Value)
		}
		got, err := yaml.Marshal(map[string]any{"jobs": p.jobs, "outputs": outputs})
		if err != nil {
			t.Fatal(err)
		}
		golden := filepath.Join("testdata", "workflows", strings.TrimSuffix(name, ".yml")+".default.yml")
		if *update {
			if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(golden, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("%s with %v does not run the jobs it ran before those inputs existed (%s):\n%s", name, inputs, golden, lineDiff(string(want), string(got)))
		}
	}
}

// projection is a workflow as GitHub runs it with some inputs known.
type projection struct {
	inputs       map[string]string
	skippedJobs  map[string]bool
	skippedSteps map[string]bool // of the job being projected
	jobs         map[string]map[string]any
}

func project(t *testing.T, inputs map[string]string, jobs map[string]map[string]any) *projection {
	t.Helper()
	p := &projection{inputs: inputs, skippedJobs: map[string]bool{}, jobs: map[string]map[string]any{}}
	done := map[string]bool{}
	for len(done) < len(jobs) {
		progress := false
		for _, name := range slices.Sorted(maps.Keys(jobs)) {
			needs := anyList(jobs[name]["needs"])
			if done[name] || slices.ContainsFunc(needs, func(n string) bool { return !done[n] }) {
				continue
			}
			done[name], progress = true, true
			if job, runs := p.job(jobs[name], needs); runs {
				p.jobs[name] = job
			} else {
				p.skippedJobs[name] = true
			}
		}
		if !progress {
			t.Fatalf("the jobs' needs form a cycle or name a missing job")
		}
	}
	return p
}

func (p *projection) job(job map[string]any, needs []string) (map[string]any, bool) {
	var left []string
	for _, n := range needs {
		if !p.skippedJobs[n] {
			left = append(left, n)
		}
	}
	cond, _ := job["if"].(string)
	if len(left) < len(needs) && !statusFunction.MatchString(cond) {
		return nil, false // GitHub skips a job that needs a skipped one, unless its if says otherwise
	}
	residual, runs := p.condition(cond, len(left) == 0)
	if !runs {
		return nil, false
	}
	out := map[string]any{}
	for k, v := range job {
		out[k] = v
	}
	delete(out, "if")
	delete(out, "needs")
	if residual != "" {
		out["if"] = residual
	}
	if len(left) > 0 {
		out["needs"] = left
	}
	p.skippedSteps = map[string]bool{}
	var steps []any
	for _, s := range anySlice(job["steps"]) {
		if step, runs := p.step(s.(map[string]any)); runs {
			steps = append(steps, step)
		}
	}
	if steps != nil {
		out["steps"] = steps
	}
	if outs, ok := job["outputs"].(map[string]any); ok {
		simplified := map[string]any{}
		for k, v := range outs {
			simplified[k] = p.simplify(v.(string))
		}
		out["outputs"] = simplified
	}
	return out, true
}

func (p *projection) step(step map[string]any) (map[string]any, bool) {
	cond, _ := step["if"].(string)
	residual, runs := p.condition(cond, false)
	if !runs {
		if id, ok := step["id"].(string); ok {
			p.skippedSteps[id] = true
		}
		return nil, false
	}
	out := map[string]any{}
	for k, v := range step {
		out[k] = v
	}
	delete(out, "if")
	if residual != "" {
		out["if"] = residual
	}
	with, _ := step["with"].(map[string]any)
	if with == nil {
		return out, true
	}
	defaults := actionDefaults(step["uses"])
	kept := map[string]any{}
	for k, v := range with {
		s, isString := v.(string)
		if !isString {
			kept[k] = v
			continue
		}
		s = p.simplify(s)
		if d, ok := defaults[k]; s == "" || ok && s == d {
			continue // an empty input is one not given
		}
		kept[k] = s
	}
	out["with"] = kept
	return out, true
}

var (
	statusFunction = regexp.MustCompile(`\b(always|cancelled|failure|success)\(\)`)
	inputClause    = regexp.MustCompile(`^inputs\.([\w-]+)\s*(==|!=|<=|>=|<|>)\s*(''|'[^']*'|\d+)$`)
	resultClause   = regexp.MustCompile(`^needs\.([\w-]+)\.result\s*(==|!=)\s*'(\w+)'$`)
	skippedOutput  = regexp.MustCompile(`^(needs|jobs|steps)\.([\w-]+)\.outputs\.[\w-]+$`)
)

// condition evaluates an if: made of clauses joined by && (a clause in parentheses may join
// operands with ||). It says whether the job or step may run, and the clauses still unknown.
// noNeedsLeft: every job this one needs was dropped, so !cancelled() says nothing more than success().
func (p *projection) condition(cond string, noNeedsLeft bool) (string, bool) {
	cond = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(cond), "${{"), "}}"))
	if cond == "" {
		return "", true
	}
	var left []string
	for _, clause := range splitTop(cond, "&&") {
		inner, grouped := strings.CutPrefix(clause, "(")
		operands := []string{clause}
		if grouped {
			operands = splitTop(strings.TrimSuffix(inner, ")"), "||")
		}
		known, unknown := false, []string(nil)
		for _, o := range operands {
			switch v, ok := p.clause(o, noNeedsLeft); {
			case !ok:
				unknown = append(unknown, o)
			case v:
				known = true
			}
		}
		switch {
		case known:
		case len(unknown) == 0:
			return "", false
		default:
			left = append(left, clause)
		}
	}
	return strings.Join(left, " && "), true
}

// clause is the value of one clause, when the known inputs and dropped jobs decide it.
func (p *projection) clause(c string, noNeedsLeft bool) (value, known bool) {
	c = strings.TrimSpace(c)
	if c == "!cancelled()" && noNeedsLeft {
		return true, true
	}
	if m := inputClause.FindStringSubmatch(c); m != nil {
		v, ok := p.inputs[m[1]]
		if !ok {
			return false, false
		}
		return compare(v, m[2], strings.Trim(m[3], "'")), true
	}
	if m := resultClause.FindStringSubmatch(c); m != nil && p.skippedJobs[m[1]] {
		return compare("skipped", m[2], m[3]), true
	}
	return false, false
}

func compare(a, op, b string) bool {
	x, errA := strconv.Atoi(a)
	y, errB := strconv.Atoi(b)
	numeric := errA == nil && errB == nil
	switch op {
	case "==":
		return a == b
	case "!=":
		return a != b
	case "<=":
		return numeric && x <= y
	case ">=":
		return numeric && x >= y
	case "<":
		return numeric && x < y
	case ">":
		return numeric && x > y
	}
	return false
}

// simplify rewrites the ${{ }} of a value: operands of || that read a dropped job's or step's outputs
// (empty) go; an expression of known inputs alone becomes its value.
func (p *projection) simplify(v string) string {
	return regexp.MustCompile(`\$\{\{(.*?)\}\}`).ReplaceAllStringFunc(v, func(e string) string {
		inner := strings.TrimSpace(e[3 : len(e)-2])
		if r, runs := p.condition(inner, false); r == "" && inputClause.MatchString(inner) {
			return strconv.FormatBool(runs)
		}
		var kept []string
		for _, o := range splitTop(inner, "||") {
			m := skippedOutput.FindStringSubmatch(strings.TrimSpace(o))
			if m != nil && (m[1] == "steps" && p.skippedSteps[m[2]] || m[1] != "steps" && p.skippedJobs[m[2]]) {
				continue
			}
			kept = append(kept, strings.TrimSpace(o))
		}
		if len(kept) == 0 {
			return ""
		}
		return "${{ " + strings.Join(kept, " || ") + " }}"
	})
}

// splitTop splits s on sep outside parentheses and quotes.
func splitTop(s, sep string) []string {
	var parts []string
	depth, quoted, start := 0, false, 0
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\'':
			quoted = !quoted
		case quoted:
		case s[i] == '(':
			depth++
		case s[i] == ')':
			depth--
		case depth == 0 && strings.HasPrefix(s[i:], sep):
			parts = append(parts, strings.TrimSpace(s[start:i]))
			start = i + len(sep)
			i += len(sep) - 1
		}
	}
	return append(parts, strings.TrimSpace(s[start:]))
}

// actionDefaults are the input defaults of slipway's action a step uses (none for another's).
func actionDefaults(uses any) map[string]string {
	u, _ := uses.(string)
	m := ownAction.FindStringSubmatch(u)
	if m == nil {
		return nil
	}
	data, err := os.ReadFile(filepath.Join(m[1], "action.yml"))
	if err != nil {
		return nil
	}
	var a struct {
		Inputs map[string]struct {
			Default string `yaml:"default"`
		} `yaml:"inputs"`
	}
	_ = yaml.Unmarshal(data, &a)
	out := map[string]string{}
	for k, in := range a.Inputs {
		out[k] = in.Default
	}
	return out
}

func anyList(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, x := range v {
			out = append(out, x.(string))
		}
		return out
	}
	return nil
}

func anySlice(v any) []any {
	s, _ := v.([]any)
	return s
}

// lineDiff lists the lines only one side has, in order: enough to see what changed.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for _, l := range w {
		if !slices.Contains(g, l) {
			b.WriteString("- " + l + "\n")
		}
	}
	for _, l := range g {
		if !slices.Contains(w, l) {
			b.WriteString("+ " + l + "\n")
		}
	}
	return b.String()
}
