package flagrollout

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"

	"github.com/slipway-actions/slipway/internal/actionkit"
	"github.com/slipway-actions/slipway/internal/analysis"
	"github.com/slipway-actions/slipway/internal/factory"
	"github.com/slipway-actions/slipway/internal/failure"
	"github.com/slipway-actions/slipway/internal/flagsmith"
	"github.com/slipway-actions/slipway/internal/github"
	"github.com/slipway-actions/slipway/internal/rollout"
)

// release runs the rollout and reports it: outputs, the gates' output (untrusted), a summary.
func release(ctx context.Context, k *actionkit.Kit, cfg config) error {
	c, err := flagsmith.New(cfg.APIURL, cfg.APIKey)
	if err != nil {
		return failure.BadInput(err)
	}
	if err := cloudWatchClients(ctx, k, &cfg.Rollout); err != nil {
		return err
	}
	start := time.Now()
	dep := startDeployment(ctx, k, cfg)
	rc := cfg.Rollout
	if dep != nil {
		rc.OnStep = func(s rollout.StepResult) {
			if err := dep.Progress(ctx, "step "+stepName(s)+": "+stepVerdict(s)); err != nil {
				k.Warningf("github-token: %v", err)
			}
		}
	}
	res, err := rollout.Run(ctx, c, rc, k.Infof)
	printGates(k, res)
	if dep != nil {
		finishDeployment(ctx, k, dep, res, err)
	}
	if res.Before.FeatureID != 0 {
		prev := res.Before
		if res.Rollout != nil {
			prev = res.Rollout.Before // a held rollout's rollback goes back to before its first step
			_ = k.SetOutput("rollout", res.Rollout.JSON())
			if !res.Rollout.Done && !res.Rollout.DueAt.IsZero() {
				_ = k.SetOutput("next-step-at", res.Rollout.DueAt.Format(time.RFC3339))
			}
		}
		if rec := res.Rollout; rec != nil && rec.ChangeRequest != nil {
			_ = k.SetOutput("change-request", rec.ChangeRequest.URL)
		} else if n := len(res.ChangeRequests); n > 0 && err != nil {
			_ = k.SetOutput("change-request", res.ChangeRequests[n-1].URL)
		}
		_ = k.SetOutput("previous-state", prev.JSON())
		_ = k.SetOutput("state", res.After.JSON())
		if len(res.Preview) > 0 {
			b, _ := json.Marshal(res.Preview)
			_ = k.SetOutput("preview", string(b))
		}
		summarise(ctx, k, cfg, res, time.Since(start), err)
	}
	reads, writes := c.Requests()
	k.Infof("%d reads, %d writes to Flagsmith", reads, writes)
	return err
}

// startDeployment records the rollout as a GitHub Deployment of its environment when a
// github-token is given, as ecs-deploy does; failing to record it is a warning, never the
// rollout's failure.
func startDeployment(ctx context.Context, k *actionkit.Kit, cfg config) *github.Deployment {
	if cfg.GitHubToken == "" || cfg.Rollout.DryRun {
		return nil
	}
	c, run, err := factory.New(k.Getenv, k.Debugf).GitHub(cfg.GitHubToken)
	if err == nil {
		var dep *github.Deployment
		if dep, err = github.StartDeployment(ctx, c, run, cfg.DeployEnv, "flag-rollout of "+cfg.Rollout.Feature); err == nil {
			k.Infof("recorded GitHub Deployment %d to %s", dep.ID(), cfg.DeployEnv)
			return dep
		}
	}
	k.Warningf("github-token: %v", err)
	return nil
}

// finishDeployment sets the Deployment's last status: success with where the rollout stands (a
// held one: what it waits for), or failure with why. Bounded, and within githubStatusTime once
// the run is cancelled.
func finishDeployment(ctx context.Context, k *actionkit.Kit, dep *github.Deployment, res *rollout.Result, err error) {
	desc := res.After.Describe()
	if res.Waiting != "" {
		desc = res.Waiting
	}
	if err != nil {
		desc = outcome(ctx, res, err) + ": " + k.Redact(err.Error())
	}
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { time.AfterFunc(githubStatusTime, cancel) })
	defer stop()
	if ferr := dep.Finish(fctx, err == nil, "", desc); ferr != nil {
		k.Warningf("github-token: %v", ferr)
	}
}

// printGates shows what each gate command or URL said, in a group, as untrusted text.
func printGates(k *actionkit.Kit, res *rollout.Result) {
	for _, s := range res.Steps {
		if s.Gate == nil || s.Gate.Output == "" {
			continue
		}
		k.Group("gate after " + stepName(s) + ": " + s.Gate.Detail)
		w := k.Untrusted()
		_, _ = w.Write([]byte(strings.TrimRight(s.Gate.Output, "\n") + "\n"))
		_ = w.Close()
		k.EndGroup()
	}
}

// stepVerdict is what a step's gate said, or why it had none.
func stepVerdict(st rollout.StepResult) string {
	switch {
	case st.Skipped != "":
		return "skipped: " + st.Skipped
	case st.Gate != nil && st.Gate.Cancelled:
		return "cancelled: " + st.Gate.Detail
	case st.Gate != nil:
		return map[bool]string{true: "passed", false: "failed"}[st.Gate.OK] + ": " + st.Gate.Detail
	case st.Window != nil:
		return "bake passed (no gate)"
	}
	return "in place"
}

func stepName(s rollout.StepResult) string {
	if s.Percentage == nil {
		return "the step"
	}
	return strconv.Itoa(*s.Percentage) + "%"
}

// outcome says how the run ended and, when it failed after writing, where Flagsmith was left, as
// read back: the state before the run, or the target of the step that failed.
func outcome(ctx context.Context, res *rollout.Result, err error) string {
	failed := "failed"
	if ctx.Err() != nil {
		failed = "cancelled"
	}
	switch {
	case err == nil:
		return "done"
	case res.Left == rollout.LeftNothingWritten:
		return failed + " before any change"
	case res.Left == rollout.LeftPrevious && res.Rollout != nil:
		return failed + "; restored to the state before the rollout (read back from Flagsmith)"
	case res.Left == rollout.LeftPrevious:
		return failed + "; restored to the state before the run (read back from Flagsmith)"
	}
	return failed + "; the flag is at " + res.Left.String()
}

func summarise(ctx context.Context, k *actionkit.Kit, cfg config, res *rollout.Result, took time.Duration, err error) {
	s := k.Summary()
	title := "flag-rollout: " + res.Before.Feature + " in " + res.Before.Environment
	if cfg.Rollout.DryRun {
		title += " (dry run)"
	}
	s.Heading(2, title)
	s.Table([]string{"Before", "After", "Outcome", "Time"}, [][]string{{res.Before.Describe(), res.After.Describe(), outcome(ctx, res, err), took.Round(time.Millisecond).String()}})
	if res.Endpoints != "" {
		s.Paragraph("Feature states went through " + res.Endpoints + ".")
	}
	if res.Waiting != "" {
		s.Paragraph("Held rollout: " + res.Waiting + ".")
	}
	if len(res.ChangeRequests) > 0 {
		var rows [][]string
		for _, cr := range res.ChangeRequests {
			rows = append(rows, []string{strconv.Itoa(cr.ID), cr.Title, cr.URL})
		}
		s.Table([]string{"Change request", "Title", "Link"}, rows)
	}
	if len(res.Steps) > 0 {
		var rows [][]string
		for _, st := range res.Steps {
			gate := stepVerdict(st)
			if gate == "in place" {
				gate = "—"
			}
			name := stepName(st)
			if w := st.Window; w != nil {
				name += " (bake " + w.From.Format(time.RFC3339) + " to " + w.To.Format(time.RFC3339) + ")"
			}
			rows = append(rows, []string{name, gate, st.Took.Round(time.Millisecond).String()})
		}
		s.Table([]string{"Step", "Gate", "Time"}, rows)
	}
	if len(cfg.Rollout.Gate.Analysis) > 0 {
		summariseAnalysis(s, res)
	}
	if len(res.Changes) > 0 {
		s.Details("Changes ("+strconv.Itoa(len(res.Changes))+")", "- "+strings.Join(res.Changes, "\n- "))
	} else {
		s.Paragraph("No change: the flag was already in the requested state.")
	}
	if len(res.Preview) > 0 {
		var rows [][]string
		for _, p := range res.Preview {
			in := "no"
			if p.Inside {
				in = "yes"
			}
			why := fmt.Sprintf("percentile %.2f", p.Hash)
			if p.Named {
				why = "named in users"
			}
			rows = append(rows, []string{p.Identifier, in, why})
		}
		s.Table([]string{"Identifier", "Gets the feature", "Why"}, rows)
	}
	if res.PreviewNote != "" {
		s.Paragraph("Preview: " + res.PreviewNote + ".")
	}
}

// cloudWatchClients makes a CloudWatch client for each region the analysis reads, before anything
// is written: missing AWS credentials are bad input (exit 2), not a failed bake after the first step.
func cloudWatchClients(ctx context.Context, k *actionkit.Kit, r *rollout.Config) error {
	regions := analysis.Regions(r.Gate.Analysis)
	if len(regions) == 0 || r.DryRun {
		r.Gate.CloudWatch = func(string) analysis.CloudWatchAPI { return nil }
		return nil
	}
	clients := factory.New(k.Getenv, k.Debugf)
	byRegion := map[string]analysis.CloudWatchAPI{}
	for _, region := range regions {
		awsCfg, err := clients.AWS(ctx, region)
		if err != nil {
			return fmt.Errorf("analysis: CloudWatch: %w", err)
		}
		byRegion[region] = cloudwatch.NewFromConfig(awsCfg)
	}
	r.Gate.CloudWatch = func(region string) analysis.CloudWatchAPI { return byRegion[region] }
	return nil
}

// summariseAnalysis shows each step's samples as a table: when, which metric, its value, what it
// was held to, and the verdict.
func summariseAnalysis(s *actionkit.Summary, res *rollout.Result) {
	for _, st := range res.Steps {
		if st.Gate == nil || len(st.Gate.Samples) == 0 {
			continue
		}
		var rows [][]string
		for _, sm := range st.Gate.Samples {
			rows = append(rows, []string{"+" + sm.At.Round(time.Second).String(), sm.Metric, sm.Value, sm.Threshold, verdict(sm.Phase)})
		}
		s.Paragraph(fmt.Sprintf("Analysis of step %s: %s, %s.", stepName(st), st.Gate.Phase, st.Gate.Detail))
		s.Table([]string{"Time", "Metric", "Value", "Threshold", "Verdict"}, rows)
	}
}

func verdict(p analysis.Phase) string {
	switch p {
	case analysis.Successful:
		return "✅ pass"
	case analysis.Failed:
		return "❌ fail"
	case analysis.Inconclusive:
		return "❔ inconclusive"
	case analysis.Error:
		return "⚠️ error"
	}
	return string(p)
}
