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
	"github.com/docker/cli/cli/command"
	"github.com/docker/compose/v5/pkg/api"
	composeengine "github.com/docker/compose/v5/pkg/compose"
	"gopkg.in/yaml.v3"

	"github.com/slipway-actions/slipway/internal/workspace"

	"github.com/slipway-actions/slipway/internal/failure"
)

// Spec says which project to load and what to run.
type Spec struct {
	Files []string // compose files, absolute or relative to WorkDir
	// WorkDir is where Files, EnvFiles and ProjectDir are found: the workspace (the CLI's working
	// directory).
	WorkDir string
	// ProjectDir is Compose's --project-directory: where .env is read and relative paths of the
	// project start. Empty is Compose's default, the first compose file's directory.
	ProjectDir  string
	ProjectName string
	EnvFiles    []string
	// Env is added to the process environment for interpolation; on a name both hold, Env wins.
	Env         []string
	TestService string
	Services    []string // to start besides the test service and what it depends on; empty: all
	Profiles    []string // profiles to enable; empty: COMPOSE_PROFILES of the environment (or of .env)
	// HostFiles lets env_file and label_file entries outside WorkDir be read (Trust's host-files): one
	// such file would hand the runner's files, /proc/self/environ among them, to a container.
	HostFiles bool
}

// Load reads the project with Compose's own loader, exactly as `docker compose up` does (Compose
// v5's LoadProject, the environment resolved and env_file discarded, the platforms applied), and
// checks the test service and the subset. Every problem is returned at once as bad input. unsupported
// lists what Compose itself says it does not honour outside Swarm.
func Load(ctx context.Context, s Spec) (p *types.Project, unsupported []string, err error) {
	projectDir, errs := s.checkPaths()
	if len(errs) > 0 {
		return nil, nil, failure.BadInput(errors.Join(errs...))
	}
	if !s.HostFiles {
		// Read while loading, before the project can be checked: a committed .env that links out of
		// the workspace, and what an include names.
		if errs = outsideFiles(s, projectDir); len(errs) > 0 {
			return nil, nil, failure.BadInput(errors.Join(errs...))
		}
	}
	if p, unsupported, err = s.load(ctx, projectDir, nil); err != nil {
		return nil, nil, err
	}
	wanted, errs := s.selection(p)
	if len(errs) > 0 {
		return nil, nil, failure.BadInput(errors.Join(errs...))
	}
	if _, enabled := p.Services[s.TestService]; len(s.Services) > 0 || !enabled {
		if p, unsupported, err = s.load(ctx, projectDir, wanted); err != nil {
			return nil, nil, err
		}
	}
	if !s.HostFiles {
		if errs = outsideServiceFiles(p, s.WorkDir); len(errs) > 0 {
			return nil, nil, failure.BadInput(errors.Join(errs...))
		}
	}
	// What the CLI does between loading and up (cmd/compose: WithServices, createOptions.Apply).
	if p, err = p.WithServicesEnvironmentResolved(true); err != nil {
		return nil, nil, failure.BadInput(fmt.Errorf("compose-file: %w", err))
	}
	if err := applyPlatforms(p); err != nil {
		return nil, nil, failure.BadInput(err)
	}
	return p, unsupported, nil
}

// checkPaths checks that the files and the project directory the spec names are there, and returns
// the project directory made absolute (empty: Compose's default).
func (s Spec) checkPaths() (projectDir string, errs []error) {
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
	if s.ProjectDir != "" {
		projectDir = absIn(s.WorkDir, s.ProjectDir)
		if st, err := os.Stat(projectDir); err != nil || !st.IsDir() {
			errs = append(errs, fmt.Errorf("project-directory %s is not a directory", s.ProjectDir))
		}
	}
	return projectDir, errs
}

// load is Compose's LoadProject of the spec's files, offline, the environment left unresolved;
// services, when given, are the ones to select (with what they depend on). unsupported is what
// Compose says it does not honour outside Swarm.
func (s Spec) load(ctx context.Context, projectDir string, services []string) (p *types.Project, unsupported []string, err error) {
	p, err = loader().LoadProject(ctx, api.ProjectLoadOptions{
		ProjectName: s.ProjectName, ConfigPaths: absAll(s.WorkDir, s.Files), WorkingDir: projectDir,
		EnvFiles: absAll(s.WorkDir, s.EnvFiles), Profiles: s.Profiles, Services: services,
		// Remote includes (git, OCI) would fetch and run what a pull request names: refused.
		Offline:           true,
		ProjectOptionsFns: []cli.ProjectOptionsFn{cli.WithEnv(s.Env), cli.WithoutEnvironmentResolution},
		OnUnsupportedAttribute: func(found []api.UnsupportedAttribute) {
			for _, f := range found {
				unsupported = append(unsupported, f.String())
			}
		},
	})
	if err != nil {
		return nil, nil, failure.BadInput(fmt.Errorf("compose-file %s: %w", strings.Join(s.Files, ", "), err))
	}
	return p, unsupported, nil
}

// selection is Compose's own selection of what to start: the services named (the subset, or every
// enabled one) and the test service, with what they depend on and the profiles they need. The names
// are checked first, then that no required dependency is behind a profile left disabled.
func (s Spec) selection(p *types.Project) (wanted []string, errs []error) {
	// Services behind a profile that is not enabled are known too: naming one enables it, as
	// `docker compose up SERVICE` does.
	all := p.AllServices()
	names := slices.Sorted(maps.Keys(all))
	if _, ok := all[s.TestService]; !ok {
		errs = append(errs, fmt.Errorf("test-service %q is not a service of the project (services: %s)", s.TestService, strings.Join(names, ", ")))
	}
	for _, n := range s.Services {
		if !slices.Contains(names, n) {
			errs = append(errs, fmt.Errorf("services: %q is not a service of the project (services: %s)", n, strings.Join(names, ", ")))
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	wanted = append(slices.Clone(s.Services), s.TestService)
	if len(s.Services) == 0 {
		wanted = append(p.ServiceNames(), s.TestService)
	}
	return wanted, disabledDependencies(p, all, wanted)
}

// disabledDependencies lists the required dependencies of the wanted services that are behind a
// profile not enabled. Compose enables the profiles of the services named (a dependency in one of
// them comes along), not of what they depend on.
func disabledDependencies(p *types.Project, all types.Services, wanted []string) []error {
	profiles := slices.Clone(p.Profiles)
	for _, name := range wanted {
		profiles = append(profiles, all[name].Profiles...)
	}
	enabled := func(name string) bool {
		_, ok := p.Services[name]
		return ok || slices.Contains(wanted, name) || slices.ContainsFunc(all[name].Profiles, func(pr string) bool { return slices.Contains(profiles, pr) })
	}
	var errs []error
	for _, name := range wanted {
		for dep, d := range all[name].DependsOn {
			if !enabled(dep) && d.Required {
				errs = append(errs, fmt.Errorf("service %s depends on %s, which is behind a profile that is not enabled (profiles: %s)",
					name, dep, strings.Join(all[dep].Profiles, ", ")))
			}
		}
	}
	return errs
}

// outsideServiceFiles lists the files outside the workspace that the loaded services would read on
// the runner: env_file (of the service and of its pre_start hooks) and label_file.
func outsideServiceFiles(p *types.Project, workDir string) []error {
	var errs []error
	for _, name := range p.ServiceNames() {
		svc := p.Services[name]
		files := map[string]string{}
		for _, f := range svc.EnvFiles {
			files[f.Path] = "env_file"
		}
		for _, h := range svc.PreStart {
			for _, f := range h.EnvFiles {
				files[f.Path] = "pre_start env_file"
			}
		}
		for _, f := range svc.LabelFiles {
			files[absIn(p.WorkingDir, f)] = "label_file"
		}
		for _, f := range slices.Sorted(maps.Keys(files)) {
			if _, err := workspace.Resolve(workDir, f); err != nil {
				errs = append(errs, fmt.Errorf("service %s: %s %s is outside the workspace: refused (add host-files to allow if this workflow means it)", name, files[f], f))
			}
		}
	}
	return errs
}

// loader is a Compose service that only loads projects: offline, it never reaches an engine.
func loader() api.Compose {
	dcli, err := command.NewDockerCli()
	if err != nil {
		panic(err) // it only fails on a bad option, and none is given
	}
	svc, err := composeengine.NewComposeService(dcli, composeengine.WithPrompt(refusePrompt))
	if err != nil {
		panic(err)
	}
	return svc
}

// applyPlatforms is applyPlatforms(project, true) of Compose v5.6.0's cmd/compose/options.go, which
// `up` applies to every service with a build section: DOCKER_DEFAULT_PLATFORM where the service names
// none, the service's platform as the one it is built for, and a multi-platform list cleared.
// TestDifferential_* compare the result with the CLI's.
func applyPlatforms(p *types.Project) error {
	defaultPlatform := p.Environment["DOCKER_DEFAULT_PLATFORM"]
	for name, s := range p.Services {
		if s.Build == nil {
			continue
		}
		if defaultPlatform != "" && s.Platform == "" {
			if len(s.Build.Platforms) > 0 && !slices.Contains(s.Build.Platforms, defaultPlatform) {
				return fmt.Errorf("service %q build.platforms does not support value set by DOCKER_DEFAULT_PLATFORM: %s", name, defaultPlatform)
			}
			s.Platform = defaultPlatform
		}
		if s.Platform != "" {
			if len(s.Build.Platforms) > 0 && !slices.Contains(s.Build.Platforms, s.Platform) {
				return fmt.Errorf("service %q build configuration does not support platform: %s", name, s.Platform)
			}
			s.Build.Platforms = []string{s.Platform}
		}
		if len(s.Build.Platforms) > 1 {
			s.Build.Platforms = nil
		}
		p.Services[name] = s
	}
	return nil
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

// Choices are the run's own choices for its test service, over what the Compose file says.
type Choices struct {
	Command []string          // replaces its command; nil keeps the file's
	BaseURL string            // URL mode: only the test service runs, with BASE_URL set
	Env     map[string]string // set in its environment, over the file's (a shard's SLIPWAY_SHARD…)
}

// Prepare applies the run's own choices to a loaded project: the test command and environment, and
// URL mode, where only the test service runs (no dependencies) with BASE_URL set, against a
// deployed platform.
func Prepare(p *types.Project, test string, c Choices) *types.Project {
	s := p.Services[test]
	if len(c.Command) > 0 {
		s.Command = types.ShellCommand(c.Command)
	}
	env := maps.Clone(c.Env)
	if c.BaseURL != "" {
		if env == nil {
			env = map[string]string{}
		}
		env["BASE_URL"] = c.BaseURL
	}
	if len(env) > 0 {
		s.Environment = maps.Clone(s.Environment)
		if s.Environment == nil {
			s.Environment = types.MappingWithEquals{}
		}
		for k, v := range env {
			s.Environment[k] = &v
		}
	}
	if c.BaseURL != "" {
		s.DependsOn = nil
		p.Services = types.Services{test: s}
		return p.WithoutUnnecessaryResources()
	}
	p.Services[test] = s
	return p
}

// outsideFiles lists the files outside the workspace that loading the project would read and the
// project model does not show afterwards: the project directory's .env (a link), and the files an
// include names (its paths, env files, project directory).
func outsideFiles(s Spec, projectDir string) []error {
	var errs []error
	outside := func(what, path string) {
		if _, err := workspace.Resolve(s.WorkDir, path); err != nil {
			errs = append(errs, fmt.Errorf("%s %s is outside the workspace: refused (add host-files to allow if this workflow means it)", what, path))
		}
	}
	dir := projectDir
	if dir == "" && len(s.Files) > 0 {
		dir = filepath.Dir(absIn(s.WorkDir, s.Files[0]))
	}
	if dir != "" {
		if _, err := os.Lstat(filepath.Join(dir, ".env")); err == nil {
			outside(".env", filepath.Join(dir, ".env"))
		}
	}
	for _, f := range s.Files {
		path := absIn(s.WorkDir, f)
		data, err := os.ReadFile(path)
		if err != nil {
			continue // Load says so
		}
		var doc struct {
			Include []yaml.Node `yaml:"include"`
		}
		if yaml.Unmarshal(data, &doc) != nil {
			continue // Load says so
		}
		for _, inc := range doc.Include {
			var paths []string
			switch inc.Kind {
			case yaml.ScalarNode:
				paths = append(paths, inc.Value)
			case yaml.MappingNode:
				for i := 0; i+1 < len(inc.Content); i += 2 {
					switch inc.Content[i].Value {
					case "path", "env_file", "project_directory":
						v := inc.Content[i+1]
						if v.Kind == yaml.ScalarNode {
							paths = append(paths, v.Value)
						}
						for _, c := range v.Content {
							paths = append(paths, c.Value)
						}
					}
				}
			}
			for _, p := range paths {
				if !strings.Contains(p, "://") && !strings.HasPrefix(p, "oci:") && !strings.HasPrefix(p, "git@") {
					outside(filepath.Base(f)+": include", absIn(filepath.Dir(path), p))
				}
			}
		}
	}
	return errs
}
