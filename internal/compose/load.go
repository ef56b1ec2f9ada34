package compose

import (
	"context"
	"errors"
	"fmt"
	"maps"
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
	Profiles    []string // profiles to enable; empty: COMPOSE_PROFILES of Env (or of the .env file)
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
		cli.WithDefaultProfiles(s.Profiles...),
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
	// Services behind a profile that is not enabled are known too: naming one enables it, as
	// `docker compose run` does.
	names := slices.Sorted(maps.Keys(p.AllServices()))
	if _, ok := p.AllServices()[s.TestService]; !ok {
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
	wanted := append(slices.Clone(s.Services), s.TestService)
	if p, err = p.WithServicesEnabled(wanted...); err != nil {
		return nil, &InputError{fmt.Errorf("profiles: %w", err)}
	}
	if len(s.Services) > 0 {
		// The subset, the test service, and everything they depend on.
		p, err = p.WithSelectedServices(wanted)
		if err != nil {
			return nil, &InputError{fmt.Errorf("services: %w", err)}
		}
	}
	for _, name := range p.ServiceNames() {
		for dep, d := range p.Services[name].DependsOn {
			if _, ok := p.Services[dep]; !ok && d.Required {
				errs = append(errs, fmt.Errorf("service %s depends on %s, which is behind a profile that is not enabled (profiles: %s)",
					name, dep, strings.Join(p.AllServices()[dep].Profiles, ", ")))
			}
		}
	}
	if len(errs) > 0 {
		return nil, &InputError{errors.Join(errs...)}
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
