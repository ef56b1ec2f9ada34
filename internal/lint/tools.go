package lint

import (
	"bytes"
	"context"
	"os/exec"
	"strconv"
	"strings"
)

// toolSpec says how to run one tool in check mode and read what it prints.
type toolSpec struct {
	binary string
	// cost is the tool's relative run time on a typical tree (measured: pylint ≈ 10× black ≈ 18×
	// flake8); the costliest start first, so the longest tool never waits behind short ones.
	cost int
	// args builds the command line; jobs is how many processes the tool may use itself.
	args func(paths []string, jobs int) []string
	// parallel, when set, says whether the tool may use its own worker processes on this project
	// without changing its findings.
	parallel func(ctx context.Context, bin, dir string, env []string) bool
	// ranOK reports whether an exit code means the tool ran (with or without findings); any other
	// code, or a non-zero code with nothing parsed, is a crash.
	ranOK func(code int) bool
	parse func(stdout string, path func(string) string) ([]Finding, error)
}

func zeroOrOne(code int) bool { return code == 0 || code == 1 }

func noError(f func(string, func(string) string) []Finding) func(string, func(string) string) ([]Finding, error) {
	return func(s string, p func(string) string) ([]Finding, error) { return f(s, p), nil }
}

func formatter(tool string) func(string, func(string) string) ([]Finding, error) {
	return func(s string, p func(string) string) ([]Finding, error) { return formatterFindings(tool, s, p), nil }
}

// tools: every tool runs with the repository's own configuration (found from the working directory,
// as when a developer runs it) and in check mode: none of these commands writes a source file.
var tools = map[string]toolSpec{
	"ruff": {
		binary: "ruff",
		cost:   2,
		args: func(p []string, _ int) []string {
			return append([]string{"check", "--no-fix", "--output-format=json"}, p...)
		},
		ranOK: zeroOrOne, parse: parseRuff,
	},
	"ruff-format": {
		binary: "ruff",
		cost:   2,
		args:   func(p []string, _ int) []string { return append([]string{"format", "--diff"}, p...) },
		ranOK:  zeroOrOne, parse: formatter("ruff-format"),
	},
	"flake8": {
		binary: "flake8",
		cost:   20,
		args:   func(p []string, _ int) []string { return append([]string{"--format=" + flake8Format}, p...) },
		ranOK:  zeroOrOne, parse: noError(parseFlake8),
	},
	"black": {
		binary: "black",
		cost:   65,
		args: func(p []string, _ int) []string {
			return append([]string{"--check", "--diff", "--no-color", "--quiet"}, p...)
		},
		ranOK: zeroOrOne, parse: formatter("black"),
	},
	"isort": {
		binary: "isort",
		cost:   4,
		args:   func(p []string, _ int) []string { return append([]string{"--check-only", "--diff", "--quiet"}, p...) },
		ranOK:  zeroOrOne, parse: formatter("isort"),
	},
	"pylint": {
		binary: "pylint",
		cost:   370,
		// pylint is the long pole. Its own worker processes (--jobs) would spread it over the cores, but
		// with --jobs > 1 pylint skips duplicate-code (R0801): so only where the project disables it.
		args: func(p []string, jobs int) []string {
			return append([]string{"--output-format=json", "--score=n", "--recursive=y", "--persistent=n",
				"--jobs=" + strconv.Itoa(jobs)}, p...)
		},
		parallel: pylintWithoutDuplicateCode,
		// pylint's exit code is a bit mask of message kinds; 32 is a usage error.
		ranOK: func(code int) bool { return code >= 0 && code&32 == 0 }, parse: parsePylint,
	},
	"mypy": {
		binary: "mypy",
		cost:   35,
		args: func(p []string, _ int) []string {
			return append([]string{"--show-column-numbers", "--show-error-codes", "--no-error-summary",
				"--no-color-output", "--no-pretty", "--hide-error-context"}, p...)
		},
		ranOK: zeroOrOne, parse: noError(parseMypy),
	},
}

// pylintWithoutDuplicateCode asks pylint, with the project's own config, whether duplicate-code is
// enabled; only when it is not may pylint run with --jobs and still report what a plain run reports.
func pylintWithoutDuplicateCode(ctx context.Context, bin, dir string, env []string) bool {
	cmd := exec.CommandContext(ctx, bin, "--list-msgs-enabled")
	cmd.Dir, cmd.Env = dir, env
	var out bytes.Buffer
	cmd.Stdout = &out
	if err := cmd.Run(); err != nil {
		return false
	}
	enabled, _, _ := strings.Cut(out.String(), "Disabled messages:")
	return strings.Contains(out.String(), "Disabled messages:") && !strings.Contains(enabled, "(R0801)")
}
