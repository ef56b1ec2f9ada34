package lint

// toolSpec says how to run one tool in check mode and read what it prints.
type toolSpec struct {
	binary string
	args   func(paths []string) []string
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
		args:   func(p []string) []string { return append([]string{"check", "--no-fix", "--output-format=json"}, p...) },
		ranOK:  zeroOrOne, parse: parseRuff,
	},
	"ruff-format": {
		binary: "ruff",
		args:   func(p []string) []string { return append([]string{"format", "--diff"}, p...) },
		ranOK:  zeroOrOne, parse: formatter("ruff-format"),
	},
	"flake8": {
		binary: "flake8",
		args:   func(p []string) []string { return append([]string{"--format=" + flake8Format}, p...) },
		ranOK:  zeroOrOne, parse: noError(parseFlake8),
	},
	"black": {
		binary: "black",
		args:   func(p []string) []string { return append([]string{"--check", "--diff", "--no-color", "--quiet"}, p...) },
		ranOK:  zeroOrOne, parse: formatter("black"),
	},
	"isort": {
		binary: "isort",
		args:   func(p []string) []string { return append([]string{"--check-only", "--diff", "--quiet"}, p...) },
		ranOK:  zeroOrOne, parse: formatter("isort"),
	},
	"pylint": {
		binary: "pylint",
		args: func(p []string) []string {
			return append([]string{"--output-format=json", "--score=n", "--recursive=y", "--persistent=n"}, p...)
		},
		// pylint's exit code is a bit mask of message kinds; 32 is a usage error.
		ranOK: func(code int) bool { return code >= 0 && code&32 == 0 }, parse: parsePylint,
	},
	"mypy": {
		binary: "mypy",
		args: func(p []string) []string {
			return append([]string{"--show-column-numbers", "--show-error-codes", "--no-error-summary",
				"--no-color-output", "--no-pretty", "--hide-error-context"}, p...)
		},
		ranOK: zeroOrOne, parse: noError(parseMypy),
	},
}
