// Package rune2e is the run-e2e action: it starts a platform with Compose, runs its test service
// and always tears it down. The one slipway program (cmd/slipway) runs it as `slipway run-e2e`, in
// the image and as a local CLI whose flags mirror the inputs.
package rune2e

import (
	"context"
	_ "embed"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/slipway-actions/slipway/internal/actionkit"
	"github.com/slipway-actions/slipway/internal/compose"
	"github.com/slipway-actions/slipway/internal/registryauth"
	"github.com/slipway-actions/slipway/internal/review"
	"github.com/slipway-actions/slipway/internal/workspace"
)

//go:embed action.yml
var actionYML []byte

func Main(ctx context.Context, opts ...actionkit.Option) int {
	return actionkit.Main(ctx, "run-e2e", actionYML, opts, parseConfig, runE2E)
}

// config is every input of the action, typed and validated.
type config struct {
	Workspace    string
	ComposeFiles []string
	ProjectDir   string // relative to the workspace; empty: the first Compose file's directory
	ProjectName  string
	TestService  string
	Services     []string
	Profiles     []string
	EnvFile      string
	Build        bool
	WaitTimeout  time.Duration
	Timeout      time.Duration
	Reports      string
	ReportsDir   string // absolute
	ArtifactsDir string // absolute
	LogsTail     int
	BaseURL      string
	TestCommand  []string
	RerunFailed  string   // auto or off
	RerunCommand []string // argv of the re-run, {cases} standing for the node ids; empty: derived
	FailOnFlaky  bool
	BaseReport   string // absolute; empty: no comparison
	Shard        shard  // this run's part of the suite; zero: all of it
	MergeShards  string // absolute; set: merge the shards' reports found there, run nothing
	Registry     string // the registry the login inputs are for
	Login        registryauth.Credentials
	Trust        string          // trust-repository-config: auto, true or false
	Allow        map[string]bool // keys an untrusted project may use anyway, and host-files
	Check        review.CheckConfig
}

func parseConfig(k *actionkit.Kit) (config, error) {
	in := k.Inputs()
	cfg := config{
		Workspace:    k.Workspace(),
		ComposeFiles: in.List("compose-file"),
		ProjectDir:   in.String("project-directory"),
		ProjectName:  in.String("project-name"),
		TestService:  in.String("test-service"),
		Services:     in.List("services"),
		Profiles:     in.List("profiles"),
		EnvFile:      in.String("env-file"),
		Build:        in.Bool("build"),
		WaitTimeout:  in.Duration("wait-timeout"),
		Timeout:      in.Duration("timeout"),
		Reports:      in.String("reports"),
		LogsTail:     in.Int("logs-tail", 1, 100000),
		BaseURL:      in.URL("base-url"),
		TestCommand:  in.Multiline("test-command"),
		RerunFailed:  in.Enum("rerun-failed", "auto", "off"),
		RerunCommand: in.Multiline("rerun-command"),
		FailOnFlaky:  in.Bool("fail-on-flaky"),
		Registry:     registryauth.Host(in.String("registry")),
		Login:        registryauth.Credentials{Username: in.String("registry-username"), Password: in.Secret("registry-password")},
		Trust:        in.Enum("trust-repository-config", "auto", "true", "false"),
		Allow:        map[string]bool{},
	}
	for _, a := range in.List("allow") {
		if !slices.Contains(compose.Allowable, a) {
			in.Invalid("allow", "%q is not one of %s", a, strings.Join(compose.Allowable, ", "))
		}
		cfg.Allow[a] = true
	}
	if cfg.Timeout > 0 && cfg.WaitTimeout > cfg.Timeout {
		in.Invalid("wait-timeout", "%s is longer than timeout (%s)", cfg.WaitTimeout, cfg.Timeout)
	}
	if (cfg.Login.Username == "") != (cfg.Login.Password == "") {
		in.Invalid("registry-username", "give registry-username and registry-password together")
	}
	cfg.Check = review.ReadCheckInputs(in, in.Secret("github-token"))
	if len(cfg.RerunCommand) > 0 && !slices.Contains(cfg.RerunCommand, casesPlaceholder) {
		in.Invalid("rerun-command", "no argument is %s, where the failed cases' node ids go (one argument per line)", casesPlaceholder)
	}
	if len(cfg.RerunCommand) > 0 && cfg.RerunFailed == "off" {
		in.Invalid("rerun-command", "given with rerun-failed: off")
	}
	if cfg.Reports == "" && in.String("merge-shards") == "" && (len(cfg.RerunCommand) > 0 || cfg.FailOnFlaky) {
		in.Invalid("reports", "rerun-command and fail-on-flaky need the reports: the failed cases are read from them")
	}
	if b := in.String("base-report"); b != "" {
		var err error
		if cfg.BaseReport, err = workspace.Resolve(cfg.Workspace, b); err != nil {
			in.Invalid("base-report", "%v", err)
		}
	}
	cfg.Shard, cfg.MergeShards = readShardInputs(in, cfg.Workspace)
	if cfg.TestService == "" && cfg.MergeShards == "" {
		in.Invalid("test-service", "is required (the service whose exit code is the verdict), unless merge-shards is given")
	}
	cfg.ReportsDir = outputDir(k, in, cfg.Workspace, "reports-dir")
	cfg.ArtifactsDir = outputDir(k, in, cfg.Workspace, "artifacts-dir")
	return cfg, in.Err()
}

// outputDir reads a directory input whose path becomes an output. In a workflow it must lie in the
// workspace: the next step of the job reads it there, and in this container action anything else
// vanishes with the container. A local run may write anywhere.
func outputDir(k *actionkit.Kit, in *actionkit.Inputs, ws, name string) string {
	v := in.String(name)
	if k.Local() {
		if filepath.IsAbs(v) {
			return v
		}
		return filepath.Join(ws, v)
	}
	dir, err := workspace.Resolve(ws, v)
	if err != nil {
		in.Invalid(name, "%v: the next step of the job reads it from the workspace", err)
	}
	return dir
}

// readShardInputs reads shard (i/n) and merge-shards (a directory in the workspace); a run is one
// shard or the merge of them all, never both.
func readShardInputs(in *actionkit.Inputs, ws string) (shard, string) {
	var s shard
	sv := in.String("shard")
	if sv != "" {
		var err error
		if s, err = parseShard(sv); err != nil {
			in.Invalid("shard", "%v", err)
		}
	}
	mv := in.String("merge-shards")
	if mv == "" {
		return s, ""
	}
	if sv != "" {
		in.Invalid("merge-shards", "given with shard: a merge runs no tests (give shard to each test job, merge-shards to the one job after them)")
	}
	dir, err := workspace.Resolve(ws, mv)
	if err != nil {
		in.Invalid("merge-shards", "%v", err)
		return s, mv // a merge still: test-service is not asked for
	}
	return s, dir
}
