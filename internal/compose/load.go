package compose

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

// Spec says which project to load and what to run.
type Spec struct {
	Files       []string // compose files, absolute or relative to WorkDir
	WorkDir     string
	ProjectName string
	EnvFiles    []string
	Env         []string // the environment interpolation sees (KEY=value)
	TestService string
	Services    []string // to start besides the test service and what it depends on; empty: all
}

// Load reads the project as docker compose would and checks the test service and the subset. Every
// problem is returned at once as bad input.
func Load(ctx context.Context, s Spec) (*types.Project, error) {
	var errs []error
	for _, f := range s.Files {
		if _, err := os.Stat(absIn(s.WorkDir, f)); err != nil {
			errs = append(errs, fmt.Errorf("compose-file %s: %w", f, err))
		}
	}
	for _, f := range s.EnvFiles {
		if _, err := os.Stat(absIn(s.WorkDir, f)); err != nil {
			errs = append(errs, fmt.Errorf("env-file %s: %w", f, err))
		}
	}
	if len(errs) > 0 {
		return nil, &InputError{errors.Join(errs...)}
	}
	opts, err := cli.NewProjectOptions(absAll(s.WorkDir, s.Files),
		cli.WithWorkingDirectory(s.WorkDir),
		cli.WithEnv(s.Env),
		cli.WithEnvFiles(absAll(s.WorkDir, s.EnvFiles)...),
		cli.WithDotEnv,
		cli.WithName(s.ProjectName),
		cli.WithResolvedPaths(true),
	)
	if err != nil {
		return nil, &InputError{fmt.Errorf("compose-file: %w", err)}
	}
	p, err := opts.LoadProject(ctx)
	if err != nil {
		return nil, &InputError{fmt.Errorf("compose-file %s: %w", strings.Join(s.Files, ", "), err)}
	}
	names := p.ServiceNames()
	if _, ok := p.Services[s.TestService]; !ok {
		errs = append(errs, fmt.Errorf("test-service %q is not a service of the project (services: %s)", s.TestService, strings.Join(names, ", ")))
	}
	for _, n := range s.Services {
		if !slices.Contains(names, n) {
			errs = append(errs, fmt.Errorf("services: %q is not a service of the project (services: %s)", n, strings.Join(names, ", ")))
		}
	}
	if len(errs) > 0 {
		return nil, &InputError{errors.Join(errs...)}
	}
	if len(s.Services) > 0 {
		// The subset, the test service, and everything they depend on.
		p, err = p.WithSelectedServices(append(slices.Clone(s.Services), s.TestService))
		if err != nil {
			return nil, &InputError{fmt.Errorf("services: %w", err)}
		}
	}
	return p, nil
}

func absIn(dir, p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(dir, p)
}

func absAll(dir string, ps []string) []string {
	var out []string
	for _, p := range ps {
		out = append(out, absIn(dir, p))
	}
	return out
}

// Prepare applies the run's own choices to a loaded project: the test command, and URL mode, where
// only the test service runs (no dependencies) with BASE_URL set, against a deployed platform.
func Prepare(p *types.Project, test string, command []string, baseURL string) *types.Project {
	s := p.Services[test]
	if len(command) > 0 {
		s.Command = types.ShellCommand(command)
	}
	if baseURL != "" {
		s.DependsOn = nil
		if s.Environment == nil {
			s.Environment = types.MappingWithEquals{}
		}
		u := baseURL
		s.Environment["BASE_URL"] = &u
		p.Services = types.Services{test: s}
		return p
	}
	p.Services[test] = s
	return p
}

// Unsupported lists what the project asks for that run-e2e does not do, so it can be said rather
// than silently dropped: more than one replica, secrets, configs.
func Unsupported(p *types.Project) []string {
	var out []string
	for _, name := range p.ServiceNames() {
		s := p.Services[name]
		if n := s.GetScale(); n > 1 {
			out = append(out, fmt.Sprintf("service %s: %d replicas (run-e2e starts one)", name, n))
		}
		if len(s.Secrets) > 0 {
			out = append(out, fmt.Sprintf("service %s: secrets are not mounted", name))
		}
		if len(s.Configs) > 0 {
			out = append(out, fmt.Sprintf("service %s: configs are not mounted", name))
		}
	}
	return out
}
