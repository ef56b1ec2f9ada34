package lint

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"
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
	// Changed, when not nil, keeps only findings on these lines (pull-request mode).
	Changed Changes
}

// MissingToolError says a tool the user asked for is not installed.
type MissingToolError struct{ Tool, Binary string }

func (e *MissingToolError) Error() string {
	return fmt.Sprintf("linter %q is not installed: %q is not on PATH", e.Tool, e.Binary)
}

// ToolError says a tool crashed: an exit code that is neither success nor "findings", or a failure
// exit with no finding in its output. That is never read as "0 findings".
type ToolError struct {
	Tool   string
	Code   int
	Stderr string // the end of what it printed, untrusted
}

func (e *ToolError) Error() string {
	return fmt.Sprintf("%s crashed (exit %d): %s", e.Tool, e.Code, e.Stderr)
}

// allowedEnv is the part of the environment a linter sees: never tokens or INPUT_* values.
var allowedEnv = []string{"PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "PYTHONPATH", "VIRTUAL_ENV",
	"XDG_CACHE_HOME", "MYPY_CACHE_DIR", "RUFF_CACHE_DIR", "PYLINTHOME", "PYTHONUTF8"}

// Run runs the tools concurrently and returns their findings. A tool that is missing is an error when
// Explicit (before anything runs), otherwise a skipped result; a crash of any tool is an error.
func Run(ctx context.Context, o Options) (*Report, error) {
	start := time.Now()
	specs := make([]toolSpec, len(o.Tools))
	var missing []error
	for i, name := range o.Tools {
		spec, ok := tools[name]
		if !ok {
			return nil, fmt.Errorf("unknown linter %q (known: %s)", name, strings.Join(Known, ", "))
		}
		specs[i] = spec
		if _, err := exec.LookPath(spec.binary); err != nil && o.Explicit {
			missing = append(missing, &MissingToolError{Tool: name, Binary: spec.binary})
		}
	}
	if len(missing) > 0 {
		return nil, errors.Join(missing...)
	}
	jobs := o.Jobs
	if jobs <= 0 {
		jobs = runtime.NumCPU()
	}
	paths := o.Paths
	if len(paths) == 0 {
		paths = []string{"."}
	}
	env := childEnv()
	rel := relativeTo(o.Workspace, o.Dir)

	results := make([]ToolResult, len(o.Tools))
	errs := make([]error, len(o.Tools))
	// Start the costliest first: with fewer slots than tools, a long tool queued behind short ones
	// would set the wall time.
	order := make([]int, len(o.Tools))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return specs[order[a]].cost > specs[order[b]].cost })
	sem := make(chan struct{}, jobs)
	var wg sync.WaitGroup
	for _, i := range order {
		name := o.Tools[i]
		wg.Add(1)
		// Acquire in cost order here, not in the goroutines, so the order holds.
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			errs[i] = ctx.Err()
			wg.Done()
			continue
		}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			results[i], errs[i] = runTool(ctx, name, specs[i], o.Dir, paths, jobs, env, nil, rel)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}

	rep := &Report{Tools: results}
	for i := range rep.Tools {
		kept := rep.Tools[i].Findings[:0]
		for _, f := range rep.Tools[i].Findings {
			if excluded(f.File, o.Exclude) || (o.Changed != nil && !o.Changed.Touches(f)) {
				rep.Filtered++
				continue
			}
			kept = append(kept, f)
		}
		rep.Tools[i].Findings = kept
		rep.Tools[i].Files = countFiles(kept)
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

// runTool runs one tool; extra arguments go before the tool's own.
func runTool(ctx context.Context, name string, spec toolSpec, dir string, paths []string, jobs int, env, extra []string, rel func(string) string) (ToolResult, error) {
	res := ToolResult{Tool: name, Findings: []Finding{}}
	bin, err := exec.LookPath(spec.binary)
	if err != nil {
		res.Skipped = fmt.Sprintf("%s is not installed", spec.binary)
		return res, nil
	}
	toolJobs := 1
	if spec.parallel != nil && jobs > 1 && spec.parallel(ctx, bin, dir, env) {
		toolJobs = jobs
	}
	args := append(append([]string(nil), extra...), spec.args(paths, toolJobs)...)
	res.Command = append([]string{spec.binary}, args...)
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err = cmd.Run()
	res.Elapsed = time.Since(start)
	code := 0
	var exitErr *exec.ExitError
	switch {
	case ctx.Err() != nil:
		return res, ctx.Err()
	case errors.As(err, &exitErr):
		code = exitErr.ExitCode()
	case err != nil:
		return res, &ToolError{Tool: name, Code: -1, Stderr: err.Error()}
	}
	findings, perr := spec.parse(stdout.String(), rel)
	if !spec.ranOK(code) || perr != nil || (code != 0 && len(findings) == 0) {
		detail := tail(stderr.String(), 20)
		if perr != nil {
			detail = perr.Error() + "; " + detail
		}
		return res, &ToolError{Tool: name, Code: code, Stderr: detail}
	}
	res.Findings = findings
	return res, nil
}

func childEnv() []string {
	env := []string{"NO_COLOR=1"}
	for _, k := range allowedEnv {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
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

func tail(s string, lines int) string {
	parts := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(parts) > lines {
		parts = parts[len(parts)-lines:]
	}
	return strings.Join(parts, "\n")
}
