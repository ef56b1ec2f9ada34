package pyenv

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/pelletier/go-toml/v2"
)

// pyproject is the part of pyproject.toml that lists dependencies.
type pyproject struct {
	Project struct {
		Dependencies         []string            `toml:"dependencies"`
		OptionalDependencies map[string][]string `toml:"optional-dependencies"`
	} `toml:"project"`
	DependencyGroups map[string][]any `toml:"dependency-groups"`
	Tool             struct {
		Poetry struct {
			Dependencies    map[string]any `toml:"dependencies"`
			DevDependencies map[string]any `toml:"dev-dependencies"`
			Group           map[string]struct {
				Dependencies map[string]any `toml:"dependencies"`
			} `toml:"group"`
		} `toml:"poetry"`
	} `toml:"tool"`
}

// readPyproject reads dir's pyproject.toml; nil when there is none.
func readPyproject(dir string) (*pyproject, error) {
	file := filepath.Join(dir, "pyproject.toml")
	if !exists(file) {
		return nil, nil
	}
	var py pyproject
	if b, err := os.ReadFile(file); err != nil || toml.Unmarshal(b, &py) != nil {
		return nil, fmt.Errorf("pyproject.toml does not parse")
	}
	return &py, nil
}

// groupNames lists the groups and extras pyproject.toml declares.
func (py *pyproject) groupNames() []string {
	seen := map[string]bool{}
	for g := range py.DependencyGroups {
		seen[g] = true
	}
	for g := range py.Project.OptionalDependencies {
		seen[g] = true
	}
	for g := range py.Tool.Poetry.Group {
		seen[g] = true
	}
	if len(py.Tool.Poetry.DevDependencies) > 0 {
		seen["dev"] = true
	}
	names := make([]string, 0, len(seen))
	for g := range seen {
		names = append(names, g)
	}
	sort.Strings(names)
	if len(names) == 0 {
		return []string{"none"}
	}
	return names
}

// addPyproject adds group (or, when group is empty, the dependencies and every development group)
// and reports whether anything named group was found.
func (p *Plan) addPyproject(py *pyproject, group string) bool {
	wanted := func(name string) bool {
		if group != "" {
			return name == group
		}
		return slices.Contains(devNames, strings.ToLower(name))
	}
	found := false
	if group == "" {
		p.add("pyproject.toml [project] dependencies", "pyproject.toml [project] dependencies", py.Project.Dependencies...)
		p.addPoetry("pyproject.toml [tool.poetry.dependencies]", py.Tool.Poetry.Dependencies)
	}
	for _, g := range slices.Sorted(maps.Keys(py.DependencyGroups)) {
		if wanted(g) {
			found = true
			src := "pyproject.toml [dependency-groups] " + g
			p.add(src, src, py.includeGroup(g, map[string]bool{})...)
		}
	}
	for _, g := range slices.Sorted(maps.Keys(py.Project.OptionalDependencies)) {
		if wanted(g) {
			found = true
			src := "pyproject.toml [project.optional-dependencies] " + g
			p.add(src, src, py.Project.OptionalDependencies[g]...)
		}
	}
	if len(py.Tool.Poetry.DevDependencies) > 0 && wanted("dev") {
		found = true
		p.addPoetry("pyproject.toml [tool.poetry.dev-dependencies]", py.Tool.Poetry.DevDependencies)
	}
	for _, g := range slices.Sorted(maps.Keys(py.Tool.Poetry.Group)) {
		if wanted(g) {
			found = true
			p.addPoetry("pyproject.toml [tool.poetry.group."+g+"]", py.Tool.Poetry.Group[g].Dependencies)
		}
	}
	return found
}

// includeGroup expands a PEP 735 group: strings, and {include-group = "other"} tables.
func (py *pyproject) includeGroup(name string, seen map[string]bool) []string {
	if seen[name] {
		return nil
	}
	seen[name] = true
	var out []string
	for _, item := range py.DependencyGroups[name] {
		switch v := item.(type) {
		case string:
			out = append(out, v)
		case map[string]any:
			if inc, ok := v["include-group"].(string); ok {
				out = append(out, py.includeGroup(inc, seen)...)
			}
		}
	}
	return out
}

// addPoetry adds Poetry dependencies, their constraints turned into PEP 440 (^1.2 → >=1.2,<2.0).
// Path, git and URL dependencies, optional ones and python itself are left out.
func (p *Plan) addPoetry(source string, deps map[string]any) {
	for _, name := range slices.Sorted(maps.Keys(deps)) {
		if strings.EqualFold(name, "python") {
			continue
		}
		constraint, extras := "", ""
		switch v := deps[name].(type) {
		case string:
			constraint = v
		case map[string]any:
			if opt, _ := v["optional"].(bool); opt {
				continue
			}
			if _, ok := v["version"]; !ok {
				p.Notes = append(p.Notes, fmt.Sprintf("%s: %s is not from an index (path, git or url): not installed", source, name))
				continue
			}
			constraint, _ = v["version"].(string)
			if list, ok := v["extras"].([]any); ok {
				var names []string
				for _, e := range list {
					if s, ok := e.(string); ok {
						names = append(names, s)
					}
				}
				if len(names) > 0 {
					extras = "[" + strings.Join(names, ",") + "]"
				}
			}
		default:
			continue
		}
		spec, ok := poetryConstraint(constraint)
		if !ok {
			p.Notes = append(p.Notes, fmt.Sprintf("%s: %s %q is not a constraint slipway reads: installed unpinned", source, name, constraint))
		}
		p.add(source, source, name+extras+spec)
	}
}

// poetryOperatorSpace is the space Poetry allows after an operator (">= 1.2").
var poetryOperatorSpace = regexp.MustCompile(`(>=|<=|==|!=|~=|\^|~|>|<)[ \t]+`)

// poetryConstraint turns a Poetry version constraint into a PEP 440 specifier.
func poetryConstraint(c string) (string, bool) {
	c = strings.TrimSpace(c)
	if c == "" || c == "*" {
		return "", true
	}
	if strings.Contains(c, "||") {
		return "", false
	}
	var parts []string
	// Poetry separates the constraints of an "and" by commas or spaces (">=1.2 <1.5").
	for _, part := range strings.FieldsFunc(poetryOperatorSpace.ReplaceAllString(c, "$1"), func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		switch {
		case strings.HasPrefix(part, "^"):
			v := strings.TrimSpace(part[1:])
			parts = append(parts, ">="+v, "<"+caretBound(v))
		case strings.HasPrefix(part, "~") && !strings.HasPrefix(part, "~="):
			v := strings.TrimSpace(part[1:])
			parts = append(parts, ">="+v, "<"+tildeBound(v))
		case strings.IndexAny(part, "<>=!~") == 0:
			parts = append(parts, part)
		default:
			parts = append(parts, "=="+part)
		}
	}
	return strings.Join(parts, ","), true
}

// caretBound: ^1.2.3 → 2.0.0, ^0.2.3 → 0.3.0, ^0.0.3 → 0.0.4 (the first non-zero part goes up).
func caretBound(v string) string {
	nums := versionParts(v)
	for i, n := range nums {
		if n != 0 || i == len(nums)-1 {
			return bump(nums, i)
		}
	}
	return bump(nums, 0)
}

// tildeBound: ~1.2.3 → 1.3.0, ~1.2 → 1.3, ~1 → 2.
func tildeBound(v string) string {
	nums := versionParts(v)
	if len(nums) == 1 {
		return bump(nums, 0)
	}
	return bump(nums, 1)
}

func versionParts(v string) []int {
	var nums []int
	for _, s := range strings.Split(v, ".") {
		n := 0
		fmt.Sscanf(s, "%d", &n)
		nums = append(nums, n)
	}
	return nums
}

func bump(nums []int, i int) string {
	out := make([]string, len(nums))
	for j := range nums {
		switch {
		case j < i:
			out[j] = fmt.Sprint(nums[j])
		case j == i:
			out[j] = fmt.Sprint(nums[j] + 1)
		default:
			out[j] = "0"
		}
	}
	return strings.Join(out, ".")
}
