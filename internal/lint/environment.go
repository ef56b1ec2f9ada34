package lint

import (
	"context"

	"github.com/slipway-actions/slipway/internal/process"
	"github.com/slipway-actions/slipway/internal/pyenv"

	"github.com/slipway-actions/slipway/internal/failure"
)

// InstallPlan is what the install input asks for, read from the project for the linters that will
// run (see PlanInstall).
type InstallPlan = pyenv.Plan

// Environment is the project's environment the linters run from (see Install).
type Environment = pyenv.Environment

// InstallOptions say where the environment lives, and which linters will run from it.
type InstallOptions struct {
	// VenvRoot is where environments are unpacked and used, outside the tree the linters walk
	// (HOME's cache in the container).
	VenvRoot string
	// CacheDir is a directory of the workspace that a workflow caches: the environment is archived
	// there (one file, no Python file the linters could walk into) for the next run.
	CacheDir string
	Tools    []string // the linters that will run: the image's interpreter is theirs
	Getenv   func(string) string
	// Progress reports steps that take time; nil is quiet.
	Progress func(format string, args ...any)
}

// PlanInstall reads what install asks for in the project directory dir (pyenv.ReadPlan), for the
// tools that will run: the table gives each one's distribution and pre-commit hooks. Its error is
// bad input (failure.BadInput).
func PlanInstall(dir, mode string, toolNames []string) (*InstallPlan, error) {
	var linters []pyenv.Linter
	for _, t := range tools {
		if contains(toolNames, t.name) {
			linters = append(linters, pyenv.Linter{Dist: t.dist, Hooks: t.hooks})
		}
	}
	plan, err := pyenv.ReadPlan(dir, mode, linters)
	if err != nil {
		return nil, failure.BadInput(err)
	}
	return plan, nil
}

// Install makes the environment the plan asks for, or finds it (pyenv.Install), over the interpreter
// of the tools that will run, asking it for every known tool's distribution. An empty plan needs
// none: nil.
func Install(ctx context.Context, plan *InstallPlan, o InstallOptions) (*Environment, error) {
	var executables []string
	for _, name := range o.Tools {
		if t, ok := lookup(name); ok {
			executables = append(executables, t.binary)
		}
	}
	return pyenv.Install(ctx, plan, pyenv.Options{VenvRoot: o.VenvRoot, CacheDir: o.CacheDir,
		Executables: executables, Dists: toolDists(), Getenv: o.Getenv, Progress: o.Progress})
}

// toolDists lists the distributions of every known tool, once each.
func toolDists() []string {
	var out []string
	for _, t := range tools {
		if !contains(out, t.dist) {
			out = append(out, t.dist)
		}
	}
	return out
}

// command is how a tool runs: from the environment when its interpreter imports the tool (the
// project's pin or the image's package), else the binary on PATH; nil when neither has it.
func command(env *Environment, t tool, getenv process.Environ) []string {
	if _, ok := env.Distribution(t.dist); ok {
		return []string{env.Python, "-m", t.module}
	}
	if p := process.LookPath(getenv, t.binary); p != "" {
		return []string{p}
	}
	return nil
}
