// Package prreport is the pr-report action: it gathers what a pull request's jobs produced (the
// lint report, the unit and E2E JUnit reports, the images built), compares the tests with the base
// branch's last results, and writes one sticky comment on the pull request. The one slipway program
// (cmd/slipway) runs it as `slipway pr-report`, in the image and as a local CLI whose flags mirror
// the inputs.
package prreport

import (
	"context"
	_ "embed"
	"encoding/json"
	"os"
	"regexp"
	"strings"

	"github.com/slipway-actions/slipway/internal/actionkit"
	"github.com/slipway-actions/slipway/internal/workspace"
)

//go:embed action.yml
var actionYML []byte

func Main(ctx context.Context, opts ...actionkit.Option) int {
	return actionkit.Main(ctx, "pr-report", actionYML, opts, parseConfig, run)
}

// config is every input of the action, typed and validated.
type config struct {
	Token       string
	Comment     bool
	Key         string
	Workspace   string
	LintReport  string  // absolute; "" for none
	UnitReports string  // absolute; "" for none
	E2EReports  string  // absolute; "" for none
	Images      []image // build-push-images' images output
	BaseResults string  // absolute; "" for none
	ResultsDir  string  // absolute
	Top         int
}

// image is one entry of build-push-images' images output.
type image struct {
	Name   string   `json:"name"`
	ID     string   `json:"id"`
	Tags   []string `json:"tags"`
	Digest string   `json:"digest,omitempty"`
}

var keyChars = regexp.MustCompile(`[^A-Za-z0-9._/]+`)

func parseConfig(k *actionkit.Kit) (config, error) {
	in := k.Inputs()
	cfg := config{
		Token:     in.Secret("github-token"),
		Comment:   in.Bool("comment"),
		Key:       strings.TrimSpace(in.String("comment-key")),
		Workspace: k.Workspace(),
		Top:       in.Int("top", 1, 100),
	}
	if cfg.Key == "" {
		cfg.Key = workflowKey(k.Getenv("GITHUB_WORKFLOW"))
	} else if workflowKey(cfg.Key) != cfg.Key {
		in.Invalid("comment-key", "%q: use letters, digits, '.', '_', '/' and single '-'", cfg.Key)
	}
	cfg.LintReport = path(in, cfg.Workspace, "lint-report")
	cfg.UnitReports = path(in, cfg.Workspace, "unit-reports")
	cfg.E2EReports = path(in, cfg.Workspace, "e2e-reports")
	cfg.BaseResults = path(in, cfg.Workspace, "base-results")
	cfg.ResultsDir = path(in, cfg.Workspace, "results-dir")
	if text := strings.TrimSpace(in.String("images")); text != "" {
		if err := json.Unmarshal([]byte(text), &cfg.Images); err != nil {
			in.Invalid("images", "is not build-push-images' images output (a JSON list of name, id, tags, digest): %v", err)
		}
	}
	if st, err := os.Stat(cfg.ResultsDir); err == nil && !st.IsDir() {
		in.Invalid("results-dir", "%q is a file", in.String("results-dir"))
	}
	return cfg, in.Err()
}

// workflowKey makes a comment key of a workflow's name: "slipway pull request" →
// "slipway-pull-request"; empty when the run has no workflow name (a local run).
func workflowKey(name string) string {
	key := strings.Trim(keyChars.ReplaceAllString(strings.TrimSpace(name), "-"), "-./_")
	if key == "" {
		return "slipway-pr-report"
	}
	return key
}

// path resolves a path input inside the workspace; "" stays "".
func path(in *actionkit.Inputs, ws, name string) string {
	v := in.String(name)
	if v == "" {
		return ""
	}
	p, err := workspace.Resolve(ws, v)
	if err != nil {
		in.Invalid(name, "%q is outside the workspace (a container action sees nothing else of the runner)", v)
		return ""
	}
	return p
}
