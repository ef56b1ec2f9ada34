package review

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/slipway-actions/slipway/internal/actionkit"
	"github.com/slipway-actions/slipway/internal/factory"
	"github.com/slipway-actions/slipway/internal/failure"
	"github.com/slipway-actions/slipway/internal/github"
)

// CheckConfig is what the inputs say of the check run: check-run, check-name and the token.
type CheckConfig struct {
	Enabled bool   // check-run: true and a token given
	Name    string // check-name
	Token   string // github-token
}

// ReadCheckInputs reads check-run and check-name; token is the action's github-token. Without a
// token there is no check run, whatever check-run says (the default is on).
func ReadCheckInputs(in *actionkit.Inputs, token string) CheckConfig {
	cfg := CheckConfig{Enabled: in.Bool("check-run") && token != "", Name: strings.TrimSpace(in.String("check-name")), Token: token}
	if in.Bool("check-run") && cfg.Name == "" {
		in.Invalid("check-name", "is empty: name the check run (or check-run: false)")
	}
	return cfg
}

// publishTimeout bounds the whole publishing of a check run (its requests are bounded one by one
// by the factory's client; this bounds a rate limit waited out again and again).
const publishTimeout = 2 * time.Minute

// CheckRun starts a check run on the commit under review, in progress while the action works, and
// completes it when the run ends (actionkit's AtEnd) with every annotation that has a file, the
// step summary and the conclusion of the exit code. A token that may not write checks (a fork's
// pull request, permissions without checks: write) is said once in the log, and the step reports
// through its summary and workflow-command annotations alone, as without a check run; so is any
// other failure to publish: the step passes or fails on its own results only.
func CheckRun(ctx context.Context, k *actionkit.Kit, clients *factory.Factory, cfg CheckConfig) {
	if !cfg.Enabled {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, publishTimeout)
	defer cancel()
	c, run, err := clients.GitHub(cfg.Token)
	if err != nil {
		k.Warningf("check run %q: %v", cfg.Name, err)
		return
	}
	sha, err := HeadSHA(clients, k.Getenv)
	if err != nil {
		k.Warningf("check run %q: %v", cfg.Name, err)
		return
	}
	cr, err := github.StartCheckRun(ctx, c, run, cfg.Name, sha)
	if err != nil {
		unpublished(k, cfg.Name, err)
		return
	}
	k.Infof("check run %q: %s", cfg.Name, cr.URL())
	k.AtEnd(func(ctx context.Context, o actionkit.Outcome) {
		ctx, cancel := context.WithTimeout(ctx, publishTimeout)
		defer cancel()
		anns := Annotations(o.Annotations)
		if err := cr.Complete(ctx, Conclusion(o), Title(o), o.Summary, anns); err != nil {
			unpublished(k, cfg.Name, err)
			return
		}
		k.Infof("check run %q: %s, %d annotations: %s", cfg.Name, Conclusion(o), len(anns), cr.URL())
	})
}

// unpublished says once why the check run is not there: the fallback's one line, or the error.
func unpublished(k *actionkit.Kit, name string, err error) {
	var fb *github.FallbackError
	if errors.As(err, &fb) {
		k.Infof("check run %q: %v", name, fb)
		return
	}
	k.Warningf("check run %q not published (the step summary has every result): %v", name, err)
}

// HeadSHA is the commit a check run belongs on: a pull request's head (GITHUB_SHA is the merge
// commit GitHub made for the run, which the pull request's page never shows), else GITHUB_SHA.
func HeadSHA(clients *factory.Factory, getenv func(string) string) (string, error) {
	ev, err := clients.Event()
	if err != nil {
		return "", err
	}
	if _, head, ok := ev.PullRequest(); ok && head != "" {
		return head, nil
	}
	if sha := getenv("GITHUB_SHA"); sha != "" {
		return sha, nil
	}
	return "", errors.New("no commit to put it on: neither a pull request event nor GITHUB_SHA")
}

// Conclusion is the check run's conclusion for the step's outcome, among those the Checks API
// allows (https://docs.github.com/rest/checks/runs#update-a-check-run): exit 0 success, exit 1
// (findings, failed tests) failure, exit 2 (an input the workflow must fix) action_required, exit 3
// (the infrastructure failed) failure, and a cancelled run cancelled. Neither 2 nor 3 is neutral:
// branch protection counts neutral as passing, and nothing was checked.
func Conclusion(o actionkit.Outcome) string {
	switch {
	case o.Cancelled:
		return "cancelled"
	case o.Code == 0:
		return "success"
	case o.Class == failure.Input:
		return "action_required"
	}
	return "failure"
}

// Title is the check run's one-line title: what it found.
func Title(o actionkit.Outcome) string {
	counts := map[actionkit.Level]int{}
	for _, a := range o.Annotations {
		if a.File != "" {
			counts[a.Level]++
		}
	}
	var parts []string
	for _, l := range []actionkit.Level{actionkit.LevelError, actionkit.LevelWarning, actionkit.LevelNotice} {
		if n := counts[l]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, plural(string(l), n)))
		}
	}
	verdict := map[string]string{"success": "passed", "failure": "failed", "action_required": "bad input", "cancelled": "cancelled"}[Conclusion(o)]
	if len(parts) == 0 {
		return verdict
	}
	return verdict + ": " + strings.Join(parts, ", ")
}

func plural(s string, n int) string {
	if n == 1 {
		return s
	}
	return s + "s"
}

// Annotations are the check run's annotations: those on a file of the repository, in the order
// they were made. The rest (why a run failed, warnings about the run) are in the summary and log.
func Annotations(list []actionkit.Annotation) []github.Annotation {
	var out []github.Annotation
	for _, a := range list {
		if a.File == "" {
			continue
		}
		level := "warning"
		switch a.Level {
		case actionkit.LevelError:
			level = "failure"
		case actionkit.LevelNotice:
			level = "notice"
		}
		out = append(out, github.Annotation{Path: a.File, StartLine: a.Line, EndLine: a.EndLine, Level: level, Title: a.Title, Message: a.Message})
	}
	return out
}
