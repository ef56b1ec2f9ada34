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
	res, err := rollout.Run(ctx, c, cfg.Rollout, k.Infof)
	printGates(k, res)
	if res.Before.FeatureID != 0 {
		_ = k.SetOutput("previous-state", res.Before.JSON())
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
	if len(res.Steps) > 0 {
		var rows [][]string
		for _, st := range res.Steps {
			gate := "—"
			switch {
			case st.Skipped != "":
				gate = "skipped: " + st.Skipped
			case st.Gate != nil && st.Gate.Cancelled:
				gate = "cancelled: " + st.Gate.Detail
			case st.Gate != nil:
				gate = map[bool]string{true: "passed", false: "failed"}[st.Gate.OK] + ": " + st.Gate.Detail
			}
			rows = append(rows, []string{stepName(st), gate, st.Took.Round(time.Millisecond).String()})
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
