package lint

import (
	"context"
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/slipway-actions/slipway/internal/process"

	"github.com/slipway-actions/slipway/internal/failure"
)

// Options say what to lint and how.
type Options struct {
	Workspace string   // absolute workspace root; finding paths are relative to it
	Dir       string   // absolute project directory; tools run here and find their config here
	Paths     []string // relative to Dir
	Exclude   []string // globs over workspace-relative paths
	Tools     []string
	// Explicit is true when the user named the tools: a missing one is an error, not a skip.
	Explicit bool
	Jobs     int // tools at once; 0 means one per CPU core
	// Changed, when not nil, is pull-request mode: each tool lints only the changed files (pylint
	// and mypy: the changed modules), and only findings on the changed lines are kept.
	Changed Changes
	// Env is the project's environment (see Install); nil runs the linters found on PATH.
	Env *Environment
	// Sanitised, when not nil, is untrusted mode (see Sanitise): each linter whose config can name
	// code reads its sanitised copy, none reads the repository's own, and there is no Env.
	Sanitised *Sanitised
	// MypyCache is an absolute directory for mypy's cache; empty leaves mypy's own choice.
	MypyCache string
	// Getenv reads the environment the linters inherit from (PATH, HOME...); nil is os.Getenv.
	Getenv func(string) string
}

// execution is one tool's run, prepared: the command that runs it, where, with what.
type execution struct {
	tool    tool
	command []string // the binary, or the project's python -m the module
	config  string   // the sanitised config it reads (untrusted mode), "" for its own
	dir     string
	env     []string
	inv     invocation
	result  ToolResult
	skip    bool // nothing to run: result says why
}

// Run runs the tools concurrently and returns their findings. A tool that is missing is an error when
// Explicit (before anything runs), otherwise a skipped result; a crash of any tool is an error.
func Run(ctx context.Context, o Options) (*Report, error) {
	start := time.Now()
	execs, err := prepare(ctx, o)
	if err != nil {
		return nil, err
	}
	slots := o.Jobs
	if slots <= 0 {
		slots = runtime.NumCPU()
	}
	rel := relativeTo(o.Workspace, o.Dir)
	errs := make([]error, len(execs))
	// Start the costliest first: with fewer slots than tools, a long tool queued behind short ones
	// would set the wall time. Acquire in that order here, not in the goroutines, so the order holds.
	sem := make(chan struct{}, slots)
	var wg sync.WaitGroup
	for _, i := range costOrder(execs) {
		x := execs[i]
		if x.skip {
			continue
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			errs[i] = ctx.Err()
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			errs[i] = runTool(ctx, x, rel)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}

	rep := &Report{}
	for _, x := range execs {
		res := x.result
		kept := res.Findings[:0]
		for _, f := range res.Findings {
			if excluded(f.File, o.Exclude) || (o.Changed != nil && !o.Changed.Touches(f)) {
				rep.Filtered++
				continue
			}
			kept = append(kept, f)
		}
		res.Findings = kept
		res.Files = countFiles(kept)
		rep.Tools = append(rep.Tools, res)
		rep.Findings = append(rep.Findings, kept...)
	}
	sort.SliceStable(rep.Findings, func(i, j int) bool {
		a, b := rep.Findings[i], rep.Findings[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Col != b.Col {
			return a.Col < b.Col
		}
		return a.Tool < b.Tool
	})
	rep.Elapsed = time.Since(start)
	return rep, nil
}

// prepare resolves every tool to a command, its version and what it lints, and decides how many
// processes each may use, before anything runs.
func prepare(ctx context.Context, o Options) ([]*execution, error) {
	execs, err := resolve(ctx, o)
	if err != nil {
		return nil, err
	}
	if err := target(o, execs); err != nil {
		return nil, err
	}
	schedule(ctx, execs)
	for _, x := range execs {
		if x.tool.env != nil {
			x.env = process.Override(x.env, x.tool.env(x.inv))
		}
	}
	return execs, nil
}

// resolve decides how each tool runs: its command (from the project's environment or PATH), the
// sanitised config it reads in untrusted mode, its environment, and its version and origin. A tool
// that is missing is skipped, or an error when the user named it.
func resolve(ctx context.Context, o Options) ([]*execution, error) {
	if o.Sanitised != nil && o.Env != nil {
		return nil, failure.BadInput(errors.New("untrusted mode runs the image's linters: it has no project environment"))
	}
	getenv := process.Environ(o.Getenv)
	var execs []*execution
	var missing []error
	for _, name := range o.Tools {
		t, ok := lookup(name)
		if !ok {
			return nil, failure.BadInput(fmt.Errorf("unknown linter %q (known: %s)", name, strings.Join(Known, ", ")))
		}
		x := &execution{tool: t, dir: o.Dir, env: getenv.Linter(o.Env.Activate(getenv)...),
			result: ToolResult{Tool: name, Findings: []Finding{}}}
		if o.Sanitised != nil {
			// The linter's own directory first on its import path, never the working directory.
			x.env = process.Override(x.env, []string{"PYTHONSAFEPATH=1"})
			if x.config = o.Sanitised.Config(name); t.config != nil && x.config == "" {
				return nil, fmt.Errorf("%w for %s (Sanitise was not given it)", errNoCopy, name)
			}
		}
		x.command = command(o.Env, t, getenv)
		if x.command == nil {
			if o.Explicit {
				missing = append(missing, &MissingToolError{Tool: name, Binary: t.binary})
			}
			x.skip, x.result.Skipped = true, t.binary+" is not installed"
		}
		execs = append(execs, x)
	}
	if len(missing) > 0 {
		return nil, errors.Join(missing...)
	}
	describe(ctx, execs, o.Env, getenv)
	return execs, nil
}

// target decides what each tool lints: the paths, or in only-changed mode the changed files a full
// run of it would lint (and the import roots); a tool with none of them is skipped.
func target(o Options, execs []*execution) error {
	paths := o.Paths
	if len(paths) == 0 {
		paths = []string{"."}
	}
	var targets changedTargets
	if o.Changed != nil {
		var err error
		if targets, err = selectChanged(o); err != nil {
			return err
		}
	}
	for _, x := range execs {
		x.inv = invocation{paths: paths, mypyCache: o.MypyCache, jobs: 1, version: x.result.Version, untrusted: o.Sanitised != nil}
		if o.Changed != nil {
			x.inv.changed = true
			x.inv.paths = targets.forTool(x.tool)
			if x.tool.perModule {
				x.inv.roots = targets.roots
			}
			if len(x.inv.paths) == 0 && !x.skip {
				x.skip, x.result.Note = true, "no changed file to lint"
			}
		}
	}
	return nil
}

// schedule decides how many processes each tool that runs may use: its own workers when it is the
// long pole (and its findings stay the same with them), and one core less for the others when the
// long pole runs in one process.
func schedule(ctx context.Context, execs []*execution) {
	cores := runtime.NumCPU()
	total := 0
	for _, x := range execs {
		if !x.skip {
			total += x.tool.cost
		}
	}
	for _, x := range execs {
		if x.skip || x.tool.parallel == nil || cores < 2 || !x.tool.parallel(ctx, x, (total-x.tool.cost)/cores) {
			continue
		}
		x.inv.jobs = cores
		if x.inv.changed { // a few files: starting workers costs more than it saves
			x.inv.jobs = min(cores, max(1, len(x.inv.paths)/8))
		}
	}
	// The long pole: when the costliest tool runs in one process, it keeps one core to itself and the
	// others share the rest, so they do not slow it down.
	order := costOrder(execs)
	if first := execs[order[0]]; !first.skip && first.inv.jobs == 1 && cores > 1 {
		for _, i := range order[1:] {
			execs[i].inv.jobs = min(execs[i].inv.jobs, cores-1)
		}
	}
}

// costOrder lists the executions' indexes, costliest first.
func costOrder(execs []*execution) []int {
	order := make([]int, len(execs))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return execs[order[a]].tool.cost > execs[order[b]].tool.cost })
	return order
}

// runTool runs one prepared tool and fills in its result.
func runTool(ctx context.Context, x *execution, rel func(string) string) error {
	argv := x.argv(x.tool.args(x.inv)...)
	x.result.Command = append(displayCommand(x.command), argv[len(x.command):]...)
	var writes []string
	if x.tool.writes != nil {
		writes = x.tool.writes(x.inv)
	}
	o, err := process.Run(ctx, process.Command{Argv: argv, Dir: x.dir, Env: x.env, Writes: writes})
	x.result.Elapsed = o.Elapsed
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case err != nil:
		return &ToolError{Tool: x.tool.name, Code: -1, Stderr: err.Error()}
	}
	findings, perr := x.tool.parse(o.Stdout, rel)
	if !x.tool.ranOK(o.Code) || perr != nil || (o.Code != 0 && len(findings) == 0) {
		detail := process.Tail(o.Stderr, 20)
		if perr != nil {
			detail = perr.Error() + "; " + detail
		}
		return &ToolError{Tool: x.tool.name, Code: o.Code, Stderr: detail}
	}
	x.result.Findings = findings
	return nil
}

// argv is the tool's command line with args: in untrusted mode, the option naming its sanitised
// config comes first.
func (x *execution) argv(args ...string) []string {
	argv := append([]string(nil), x.command...)
	if x.config != "" {
		argv = append(argv, x.tool.config.flag+x.config)
	}
	return append(argv, args...)
}

// displayCommand shortens the command for the log: the binary's name, or python -m module.
func displayCommand(command []string) []string {
	out := append([]string(nil), command...)
	if len(out) > 0 {
		out[0] = filepath.Base(out[0])
	}
	return out
}

// relativeTo returns a function that turns a path a tool printed (relative to dir, or absolute) into
// a slash path relative to the workspace, where annotations expect it.
func relativeTo(workspace, dir string) func(string) string {
	return func(p string) string {
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		r, err := filepath.Rel(workspace, p)
		if err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
			return filepath.ToSlash(p)
		}
		return filepath.ToSlash(r)
	}
}

// excluded matches a workspace-relative path against globs: the whole path or any directory above it,
// and a glob without a slash also any single name in it ("migrations" and "app/migrations" both
// exclude app/migrations/0001.py; "*.py" excludes every Python file).
func excluded(file string, globs []string) bool {
	for _, g := range globs {
		g = strings.TrimSuffix(strings.TrimPrefix(g, "./"), "/**")
		g = strings.TrimSuffix(g, "/")
		for p := file; p != "." && p != "/" && p != ""; p = path.Dir(p) {
			if ok, _ := path.Match(g, p); ok {
				return true
			}
			if ok, _ := path.Match(g, path.Base(p)); ok && !strings.Contains(g, "/") {
				return true
			}
		}
	}
	return false
}

func countFiles(fs []Finding) int {
	seen := map[string]bool{}
	for _, f := range fs {
		seen[f.File] = true
	}
	return len(seen)
}
