package github

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/slipway-actions/slipway/internal/github/githubtest"
)

// StartDeployment and Finish, against the fake whose exchanges GitHub's description checks: the
// deployment of the run's commit, in_progress then success with the environment URL, and a
// description kept within the 140 characters a deployment status may have.
func TestDeployment_AgainstGitHubsDescription(t *testing.T) {
	t.Parallel()
	f := githubtest.New(t)
	c, run := fakeClient(t, f, &sleeps{}, nil)
	run.LogURL = "https://github.example/acme/web/actions/runs/9"
	d, err := StartDeployment(context.Background(), c, run, "staging", "deploy web "+strings.Repeat("x", 200))
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Finish(context.Background(), true, "https://staging.example.com/", "deployed"); err != nil {
		t.Fatal(err)
	}
	deps := f.Deployments()
	if len(deps) != 1 || deps[0].ID != d.ID() || deps[0].Ref != "head123" || deps[0].Environment != "staging" || deps[0].AutoMerge || deps[0].RequiredContexts == nil {
		t.Fatalf("deployments %+v", deps)
	}
	var states []string
	for _, s := range deps[0].Statuses {
		states = append(states, s.State)
		if s.LogURL != run.LogURL {
			t.Errorf("status %+v", s)
		}
	}
	if !slices.Equal(states, []string{"in_progress", "success"}) || deps[0].Statuses[1].EnvironmentURL != "https://staging.example.com/" {
		t.Errorf("statuses %+v", deps[0].Statuses)
	}
	if ops := f.Operations(); !slices.Equal(ops, []string{"repos/create-deployment", "repos/create-deployment-status"}) {
		t.Errorf("operations %v", ops)
	}
}

// A token without deployments: write is refused 403; the error says which permission.
func TestDeployment_ForbiddenSaysThePermission(t *testing.T) {
	t.Parallel()
	f := githubtest.New(t)
	f.DeploymentsForbidden = true
	c, run := fakeClient(t, f, &sleeps{}, nil)
	_, err := StartDeployment(context.Background(), c, run, "staging", "deploy")
	if err == nil || !strings.Contains(err.Error(), "deployments: write") || !strings.Contains(err.Error(), "403") {
		t.Errorf("err %v", err)
	}
	if deps := f.Deployments(); len(deps) != 0 {
		t.Errorf("deployments %+v", deps)
	}
}
