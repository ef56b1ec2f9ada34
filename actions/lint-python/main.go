// Package lintpython is the lint-python action: it runs every Python linter a repository
// configures, in parallel, and reports exact annotations. The one slipway program (cmd/slipway)
// runs it as `slipway lint-python`, in the image and as a local CLI whose flags mirror the inputs.
package lintpython

import (
	"context"
	_ "embed"
	"os"
	"path/filepath"
	"strings"

	"github.com/slipway-actions/slipway/internal/actionkit"
	"github.com/slipway-actions/slipway/internal/lint"
	"github.com/slipway-actions/slipway/internal/review"
	"github.com/slipway-actions/slipway/internal/workspace"
)

//go:embed action.yml
var actionYML []byte

func Main(ctx context.Context, opts ...actionkit.Option) int {
	return actionkit.Main(ctx, "lint-python", actionYML, opts, parseConfig, run)
}

// config is every input of the action, typed and validated.
type config struct {
	Linters          []string
	WorkingDirectory string
	Paths            []string
	Exclude          []string
	OnlyChanged      bool
	BaseRef          string
	SuggestFixes     bool
	GitHubToken      string
	Check            review.CheckConfig
	FailOn           string
	SARIFFile        string // absolute, inside the workspace; "" when not asked for
	ReportFile       string // absolute, inside the workspace
	CacheDir         string // absolute, inside the workspace
	Jobs             int

	// Trust says whether the run is in untrusted mode (the repository's code never runs) and why.
	Trust trust
	// InstallSkipped is the install asked for that untrusted mode did not run ("" for none).
	InstallSkipped string

	Workspace string            // absolute workspace root
	Dir       string            // absolute working directory
	Explicit  bool              // linters were named, not detected
	Sources   map[string]string // detected linter → the file that configures it
	Install   *lint.InstallPlan // what install asks for
}

func parseConfig(k *actionkit.Kit) (config, error) {
	in := k.Inputs()
	cfg := config{
		Linters:          in.List("linters"),
		WorkingDirectory: in.String("working-directory"),
		Paths:            in.List("paths"),
		Exclude:          in.List("exclude"),
		OnlyChanged:      in.Bool("only-changed"),
		BaseRef:          in.String("base-ref"),
		SuggestFixes:     in.Bool("suggest-fixes"),
		GitHubToken:      in.Secret("github-token"),
		FailOn:           in.Enum("fail-on", "error", "warning", "never"),
		Jobs:             in.Int("jobs", 0, 64),
	}
	cfg.Check = review.ReadCheckInputs(in, cfg.GitHubToken)
	cfg.Trust = readTrust(k, in)
	install, skipped := installMode(k, in, cfg.Trust)
	cfg.InstallSkipped = skipped
	if cfg.SuggestFixes && cfg.GitHubToken == "" {
		in.Invalid("suggest-fixes", "needs github-token to post review comments")
	}
	auto := len(cfg.Linters) == 1 && cfg.Linters[0] == "auto"
	for _, l := range cfg.Linters {
		if !auto && !lint.IsKnown(l) {
			in.Invalid("linters", "%q is not a linter slipway runs (use auto or %s)", l, strings.Join(lint.Known, ", "))
		}
	}
	if !auto && contains(cfg.Linters, "auto") {
		in.Invalid("linters", "auto cannot be combined with named linters")
	}

	cfg.Workspace = k.Workspace()
	// Where the run writes: checked now, so that a bad path stops the run before any linter starts.
	cfg.ReportFile = outputPath(in, cfg.Workspace, "report-file", false)
	cfg.SARIFFile = outputPath(in, cfg.Workspace, "sarif-file", false)
	if cfg.SARIFFile != "" && cfg.SARIFFile == cfg.ReportFile {
		in.Invalid("sarif-file", "is the same file as report-file")
	}
	cfg.CacheDir = outputPath(in, cfg.Workspace, "cache-dir", true)
	if dir, err := workspace.Resolve(cfg.Workspace, cfg.WorkingDirectory); err != nil {
		in.Invalid("working-directory", "%q is outside the workspace", cfg.WorkingDirectory)
	} else if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		in.Invalid("working-directory", "%q is not a directory", cfg.WorkingDirectory)
	} else {
		cfg.Dir = dir
		for _, p := range cfg.Paths {
			abs, err := workspace.Resolve(cfg.Workspace, filepath.Join(dir, p))
			if err != nil {
				in.Invalid("paths", "%q is outside the workspace", p)
			} else if _, err := os.Stat(abs); err != nil {
				in.Invalid("paths", "%q does not exist in %s", p, cfg.WorkingDirectory)
			}
		}
		if auto {
			det, err := lint.Detect(dir)
			if err != nil {
				in.Invalid("linters", "auto: a config file does not parse (the linters would fail on it too): %v", err)
			}
			cfg.Linters, cfg.Sources = det.Tools, det.Sources
		}
		cfg.Explicit = !auto
		plan, err := lint.PlanInstall(dir, install, cfg.Linters)
		if err != nil {
			in.Invalid("install", "%v", strings.TrimPrefix(err.Error(), "install: "))
		}
		cfg.Install = plan
	}
	return cfg, in.Err()
}

// installMode reads install as trust allows it: auto when not given. Installing runs the project's
// build code and pip as root in the action's container, which can read the token the runner hands
// it; so in untrusted mode the default is none. There, any other install is refused on
// pull_request_target and on a workflow_run of a fork's pull request (the job's token can write),
// and with trust-repository-config: false; for a fork's pull request on pull_request (whose token
// is read-only, and whose workflow also serves the repository's own pull requests) it is not run,
// and the log says so (skipped).
func installMode(k *actionkit.Kit, in *actionkit.Inputs, t trust) (mode, skipped string) {
	install := in.String("install")
	event := k.Getenv("GITHUB_EVENT_NAME")
	switch {
	case !t.Untrusted && event != "pull_request_target":
		if install == "" {
			return "auto", ""
		}
		return install, ""
	case install == "" || install == "none":
		return "none", ""
	case event == "pull_request_target" || t.Privileged:
		in.Invalid("install", "%q is refused on %s: that event gives the job a token that can write to the repository "+
			"while the code is the pull request's, and install would run its build code and pip as root in the action's container, where "+
			"the token can be read; lint with the image's linters (install: none, the default on this event), or lint in a pull_request "+
			"workflow, whose token from a fork is read-only", install, event)
	case t.Fork:
		return "none", install
	default:
		in.Invalid("install", "%q contradicts trust-repository-config: false: install runs the repository's build code and pip; use install: none", install)
	}
	return "none", ""
}

// outputPath resolves a path input the run writes to: inside the workspace, and makeable (nothing
// on the way is a file; a file is not a directory). Empty stays empty.
func outputPath(in *actionkit.Inputs, ws, name string, dir bool) string {
	v := in.String(name)
	if v == "" {
		return ""
	}
	parent, what := filepath.Dir(lexical(ws, v)), "cannot be written"
	if dir {
		parent, what = lexical(ws, v), "cannot be a directory"
	}
	if file := existingAncestor(parent); file != "" {
		in.Invalid(name, "%q %s: %s is a file", v, what, file)
		return ""
	}
	p, err := workspace.Resolve(ws, v)
	if err != nil {
		in.Invalid(name, "%q is outside the workspace: the action writes only there (a container action sees nothing else of the runner)", v)
		return ""
	}
	if st, err := os.Stat(p); err == nil && st.IsDir() && !dir {
		in.Invalid(name, "%q is a directory; name a file", v)
		return ""
	}
	return p
}

// lexical is p joined to the workspace as written, before any link is followed.
func lexical(ws, p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(ws, p)
}

// existingAncestor returns the nearest existing path at or above dir when it is not a directory
// (a file where a directory must be made), else "".
func existingAncestor(dir string) string {
	for d := dir; ; d = filepath.Dir(d) {
		if st, err := os.Stat(d); err == nil {
			if !st.IsDir() {
				return d
			}
			return ""
		}
		if filepath.Dir(d) == d {
			return ""
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
