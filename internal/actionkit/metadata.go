package actionkit

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Metadata is the part of an action.yml that a program needs: its inputs and outputs. Each action
// embeds its own action.yml, so the file GitHub reads and the inputs the program accepts cannot drift.
type Metadata struct {
	Name        string                `yaml:"name"`
	Description string                `yaml:"description"`
	Inputs      map[string]InputSpec  `yaml:"inputs"`
	Outputs     map[string]OutputSpec `yaml:"outputs"`
	Runs        Runs                  `yaml:"runs"`
}

// InputSpec is one declared input.
type InputSpec struct {
	Description string `yaml:"description"`
	Required    bool   `yaml:"required"`
	Default     string `yaml:"default"`
}

// OutputSpec is one declared output.
type OutputSpec struct {
	Description string `yaml:"description"`
}

// Runs is the runs: section; slipway's actions are container actions on one image.
type Runs struct {
	Using      string   `yaml:"using"`
	Image      string   `yaml:"image"`
	Entrypoint string   `yaml:"entrypoint"`
	Args       []string `yaml:"args"`
}

// ParseMetadata reads an action.yml and checks what GitHub would reject or what would confuse a
// user: a missing name or description, an input or output without a description.
func ParseMetadata(data []byte) (*Metadata, error) {
	var m Metadata
	if err := yaml.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("action.yml: %w", err)
	}
	var problems []string
	if m.Name == "" {
		problems = append(problems, "name is missing")
	}
	if m.Description == "" {
		problems = append(problems, "description is missing")
	}
	for _, n := range sortedKeys(m.Inputs) {
		if strings.TrimSpace(m.Inputs[n].Description) == "" {
			problems = append(problems, fmt.Sprintf("input %q has no description", n))
		}
		if n != strings.ToLower(n) || strings.ContainsAny(n, " _") {
			problems = append(problems, fmt.Sprintf("input %q: use lower-case kebab-case names", n))
		}
	}
	for _, n := range sortedKeys(m.Outputs) {
		if strings.TrimSpace(m.Outputs[n].Description) == "" {
			problems = append(problems, fmt.Sprintf("output %q has no description", n))
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("action.yml: %s", strings.Join(problems, "; "))
	}
	return &m, nil
}

// InputNames lists the declared inputs in order.
func (m *Metadata) InputNames() []string { return sortedKeys(m.Inputs) }

// WriteHelp prints a CLI usage text built from the action's inputs: the flags mirror the inputs.
func (m *Metadata) WriteHelp(w io.Writer, program string) {
	fmt.Fprintf(w, "%s — %s\n\n", program, strings.TrimSpace(m.Description))
	fmt.Fprintf(w, "Usage: %s [--input value]...\n", program)
	fmt.Fprintf(w, "Each flag mirrors the action input of the same name (--x value ≙ INPUT_X). Inputs:\n\n")
	for _, n := range m.InputNames() {
		in := m.Inputs[n]
		var tags []string
		if in.Required {
			tags = append(tags, "required")
		}
		if in.Default != "" {
			tags = append(tags, "default "+quoteDefault(in.Default))
		}
		suffix := ""
		if len(tags) > 0 {
			suffix = " (" + strings.Join(tags, ", ") + ")"
		}
		fmt.Fprintf(w, "  --%s%s\n", n, suffix)
		for _, line := range strings.Split(strings.TrimSpace(in.Description), "\n") {
			fmt.Fprintf(w, "        %s\n", line)
		}
	}
	if len(m.Outputs) > 0 {
		fmt.Fprintf(w, "\nOutputs (printed at the end when run locally):\n")
		for _, n := range sortedKeys(m.Outputs) {
			fmt.Fprintf(w, "  %s: %s\n", n, firstLine(m.Outputs[n].Description))
		}
	}
	fmt.Fprintf(w, "\nExit codes: 0 ok, 1 findings or failure of the checked thing, 2 bad input, 3 infrastructure error.\n")
}

func quoteDefault(s string) string {
	if strings.Contains(s, "\n") {
		return fmt.Sprintf("%q", s)
	}
	return s
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
