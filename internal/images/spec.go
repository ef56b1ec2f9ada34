package images

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/slipway-actions/slipway/internal/workspace"
)

// Spec is one image of the images input.
type Spec struct {
	Name       string            `yaml:"name"`
	Context    string            `yaml:"context"`
	Dockerfile string            `yaml:"dockerfile"`
	Target     string            `yaml:"target"`
	BuildArgs  map[string]string `yaml:"-"`
	Platforms  []string          `yaml:"platforms"`
	Labels     map[string]string `yaml:"-"`

	// Resolved by ParseSpecs: absolute paths, and the Dockerfile's facts.
	ContextDir     string      `yaml:"-"`
	DockerfilePath string      `yaml:"-"`
	Facts          *Dockerfile `yaml:"-"`
}

// keyValues reads build-args and labels written as a map or as a list of KEY=VALUE.
type keyValues map[string]string

func (kv *keyValues) UnmarshalYAML(n *yaml.Node) error {
	*kv = keyValues{}
	switch n.Kind {
	case yaml.MappingNode:
		m := map[string]string{}
		if err := n.Decode(&m); err != nil {
			return err
		}
		for k, v := range m {
			(*kv)[k] = v
		}
	case yaml.SequenceNode:
		var list []string
		if err := n.Decode(&list); err != nil {
			return err
		}
		for _, item := range list {
			k, v, ok := strings.Cut(item, "=")
			if !ok || k == "" {
				return fmt.Errorf("line %d: %q is not KEY=VALUE", n.Line, item)
			}
			(*kv)[k] = v
		}
	default:
		return fmt.Errorf("line %d: want a map or a list of KEY=VALUE", n.Line)
	}
	return nil
}

type specYAML struct {
	Spec      `yaml:",inline"`
	BuildArgs keyValues `yaml:"build-args"`
	Labels    keyValues `yaml:"labels"`
}

var repoName = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$`)

// ParseSpecs reads the images input — a YAML list of {name, context, dockerfile, target,
// build-args, platforms, labels}, or lines of name or name=context — and checks every image against
// the workspace: the context is a directory inside it, the Dockerfile exists and parses, the target
// is one of its stages. Every problem is reported, each naming its image.
func ParseSpecs(text, ws string) ([]Spec, error) {
	raw, err := decodeSpecs(text)
	if err != nil {
		return nil, err
	}
	var errs []error
	seen := map[string]bool{}
	specs := make([]Spec, 0, len(raw))
	for i, s := range raw {
		label := fmt.Sprintf("image %d", i+1)
		if s.Name != "" {
			label = fmt.Sprintf("image %q", s.Name)
		}
		fail := func(format string, args ...any) {
			errs = append(errs, fmt.Errorf("%s: %s", label, fmt.Sprintf(format, args...)))
		}
		switch {
		case s.Name == "":
			fail("name is required")
		case !repoName.MatchString(s.Name):
			fail("name %q is not a repository name (lower case letters, digits, . _ - and /)", s.Name)
		case seen[s.Name]:
			fail("name is given twice")
		}
		seen[s.Name] = true
		if ps, err := ParsePlatforms(s.Platforms); err != nil {
			fail("%v", err)
		} else {
			s.Platforms = ps
		}
		s.Context = cmp.Or(s.Context, ".")
		dir, err := workspace.Resolve(ws, s.Context)
		if err != nil {
			fail("context: %v", err)
			specs = append(specs, s)
			continue
		}
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			fail("context %q is not a directory of the workspace", s.Context)
			specs = append(specs, s)
			continue
		}
		s.ContextDir = dir
		s.DockerfilePath, err = findDockerfile(ws, dir, cmp.Or(s.Dockerfile, "Dockerfile"))
		if err != nil {
			fail("%v", err)
			specs = append(specs, s)
			continue
		}
		s.Facts, err = ReadDockerfile(s.DockerfilePath)
		if err != nil {
			fail("Dockerfile %s: %v", s.DockerfilePath, err)
		} else if s.Target != "" && !s.Facts.HasStage(s.Target) {
			fail("target %q is not a stage of %s (stages: %s)", s.Target, rel(ws, s.DockerfilePath), cmp.Or(strings.Join(s.Facts.Stages, ", "), "none named"))
		}
		specs = append(specs, s)
	}
	return specs, errors.Join(errs...)
}

func decodeSpecs(text string) ([]Spec, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil, errors.New("no image given")
	}
	if strings.HasPrefix(text, "-") || strings.HasPrefix(text, "[") {
		var list []specYAML
		if err := yaml.Unmarshal([]byte(text), &list); err != nil {
			return nil, fmt.Errorf("not a YAML list of images: %w", err)
		}
		specs := make([]Spec, len(list))
		for i, y := range list {
			specs[i] = y.Spec
			specs[i].BuildArgs, specs[i].Labels = y.BuildArgs, y.Labels
		}
		return specs, nil
	}
	var specs []Spec
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, ctx, _ := strings.Cut(line, "=")
		specs = append(specs, Spec{Name: strings.TrimSpace(name), Context: strings.TrimSpace(ctx)})
	}
	return specs, nil
}

// findDockerfile looks for the Dockerfile relative to the context (as Compose does), then relative to
// the workspace (as docker/build-push-action's file input does).
func findDockerfile(ws, contextDir, name string) (string, error) {
	var tried []string
	for _, base := range []string{contextDir, ws} {
		p := name
		if !filepath.IsAbs(p) {
			p = filepath.Join(base, name)
		}
		if _, err := workspace.Resolve(ws, p); err != nil {
			return "", fmt.Errorf("dockerfile: %v", err)
		}
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, nil
		}
		if !slices.Contains(tried, rel(ws, p)) {
			tried = append(tried, rel(ws, p))
		}
	}
	return "", fmt.Errorf("dockerfile %q not found (looked for %s)", name, strings.Join(tried, " and "))
}

func rel(base, p string) string {
	if r, err := filepath.Rel(base, p); err == nil {
		return r
	}
	return p
}
