package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/slipway-actions/slipway/internal/actionkit"
	"github.com/slipway-actions/slipway/internal/flagsmith"
	"github.com/slipway-actions/slipway/internal/rollout"
)

// release runs the rollout and reports it: outputs, the gates' output (untrusted), a summary.
func release(ctx context.Context, k *actionkit.Kit, cfg config) error {
	c, err := flagsmith.New(cfg.APIURL, cfg.APIKey)
	if err != nil {
		return actionkit.BadInput(err)
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
		summarise(k, cfg, res, time.Since(start), err)
	}
	var ge *rollout.GateError
	switch {
	case err == nil:
		reads, writes := c.Requests()
		k.Infof("done: %d reads, %d writes to Flagsmith", reads, writes)
		return nil
	case actionkit.IsBadInput(err):
		return err
	case errors.As(err, &ge):
		return actionkit.Failed(err)
	default:
		return err
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

func stepName(s rollout.StepResult) string {
	if s.Percentage == nil {
		return "the step"
	}
	return strconv.Itoa(*s.Percentage) + "%"
}

func summarise(k *actionkit.Kit, cfg config, res *rollout.Result, took time.Duration, err error) {
	s := k.Summary()
	title := "flag-rollout: " + res.Before.Feature + " in " + res.Before.Environment
	if cfg.Rollout.DryRun {
		title += " (dry run)"
	}
	s.Heading(2, title)
	outcome := "done"
	switch {
	case err != nil && res.RolledBack:
		outcome = "failed, restored to the state before the run"
	case err != nil:
		outcome = "failed"
	}
	s.Table([]string{"Before", "After", "Outcome", "Time"}, [][]string{{res.Before.Describe(), res.After.Describe(), outcome, took.Round(time.Millisecond).String()}})
	if len(res.Steps) > 0 {
		var rows [][]string
		for _, st := range res.Steps {
			gate := "—"
			switch {
			case st.Skipped != "":
				gate = "skipped: " + st.Skipped
			case st.Gate != nil:
				gate = map[bool]string{true: "passed", false: "failed"}[st.Gate.OK] + ": " + st.Gate.Detail
			}
			rows = append(rows, []string{stepName(st), gate, st.Took.Round(time.Millisecond).String()})
		}
		s.Table([]string{"Step", "Gate", "Time"}, rows)
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
