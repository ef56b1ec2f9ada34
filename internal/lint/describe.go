package lint

import (
	"context"
	"regexp"

	"github.com/slipway-actions/slipway/internal/process"
	"github.com/slipway-actions/slipway/internal/pyenv"
)

// describe fills in each tool's version and where it came from, asking each interpreter once: the
// environment's, or the one a binary on PATH is a script of; a binary that is not a Python script
// (ruff) is asked for --version.
func describe(ctx context.Context, execs []*execution, env *Environment, getenv process.Environ) {
	byPython := map[string][]*execution{}
	for _, x := range execs {
		if x.command == nil {
			continue
		}
		if env != nil && x.command[0] == env.Python {
			d, _ := env.Distribution(x.tool.dist)
			x.result.Version, x.result.From = d.Version, env.Origin(x.tool.dist)
			continue
		}
		x.result.From = "image"
		if py := pyenv.ScriptInterpreter(x.command[0], getenv); py != "" {
			byPython[py] = append(byPython[py], x)
			continue
		}
		if o, err := process.Run(ctx, process.Command{Argv: []string{x.command[0], "--version"}, Dir: process.NeutralDir, Env: x.env}); err == nil && o.Code == 0 {
			x.result.Version = versionIn.FindString(o.Stdout)
		}
	}
	for py, xs := range byPython {
		var names []string
		for _, x := range xs {
			names = append(names, x.tool.dist)
		}
		dists, err := pyenv.Distributions(ctx, py, getenv, names)
		if err != nil {
			continue
		}
		for _, x := range xs {
			x.result.Version = dists[x.tool.dist].Version
		}
	}
}

var versionIn = regexp.MustCompile(`\d+\.\d+(?:\.\d+)?[0-9A-Za-z.+-]*`)
