package pyenv

import (
	"fmt"
	"os"
	"path/filepath"

	"gopkg.in/yaml.v3"
)

// PreCommitConfig is the file pre-commit reads.
const PreCommitConfig = ".pre-commit-config.yaml"

// PreCommitHook is one hook of .pre-commit-config.yaml, with its repository's rev.
type PreCommitHook struct {
	Repo, Rev              string
	ID                     string   `yaml:"id"`
	AdditionalDependencies []string `yaml:"additional_dependencies"`
}

// PreCommitHooks reads the hooks of the project's .pre-commit-config.yaml (none when it is missing):
// which linters it runs, and at what rev, with what additional_dependencies.
func PreCommitHooks(dir string) ([]PreCommitHook, error) {
	b, err := os.ReadFile(filepath.Join(dir, PreCommitConfig))
	if err != nil {
		return nil, nil
	}
	var cfg struct {
		Repos []struct {
			Repo  string          `yaml:"repo"`
			Rev   string          `yaml:"rev"`
			Hooks []PreCommitHook `yaml:"hooks"`
		} `yaml:"repos"`
	}
	if err := yaml.Unmarshal(b, &cfg); err != nil {
		return nil, fmt.Errorf("%s: %w", PreCommitConfig, err)
	}
	var hooks []PreCommitHook
	for _, r := range cfg.Repos {
		for _, h := range r.Hooks {
			h.Repo, h.Rev = r.Repo, r.Rev
			hooks = append(hooks, h)
		}
	}
	return hooks, nil
}
