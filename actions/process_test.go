package actions_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// processJob is what the README's table of the reusable workflows says of a job: which slipway action
// it runs, with what, after which jobs, under which condition and concurrency group.
type processJob struct {
	Needs       yaml.Node `yaml:"needs"`
	If          string    `yaml:"if"`
	Concurrency struct {
		Group            string `yaml:"group"`
		CancelInProgress bool   `yaml:"cancel-in-progress"`
	} `yaml:"concurrency"`
	Steps []struct {
		Uses string            `yaml:"uses"`
		With map[string]string `yaml:"with"`
	} `yaml:"steps"`
}

func (j processJob) needs() []string {
	if j.Needs.Kind == yaml.ScalarNode {
		return []string{j.Needs.Value}
	}
	var list []string
	_ = j.Needs.Decode(&list)
	return list
}

// action is the with: of the job's step that runs slipway's action name (nil when none does).
func (j processJob) action(name string) map[string]string {
	for _, s := range j.Steps {
		if strings.Contains(s.Uses, "/actions/"+name+"@") || strings.HasPrefix(s.Uses, "./actions/"+name) {
			if s.With == nil {
				return map[string]string{}
			}
			return s.With
		}
	}
	return nil
}

func readProcess(t *testing.T, name string) map[string]processJob {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", ".github", "workflows", name))
	if err != nil {
		t.Fatal(err)
	}
	var wf struct {
		Jobs map[string]processJob `yaml:"jobs"`
	}
	if err := yaml.Unmarshal(b, &wf); err != nil {
		t.Fatal(err)
	}
	return wf.Jobs
}

// TestWorkflows_TheReleaseProcessTheREADMEDescribes checks the README's table of the reusable workflows
// against the workflows: what each job runs, in which order, and that deploys and rollbacks of one
// environment share one concurrency group that never cancels a deploy midway.
func TestWorkflows_TheReleaseProcessTheREADMEDescribes(t *testing.T) {
	pr := readProcess(t, "pull-request.yml")
	for job, action := range map[string]string{"lint": "lint-python", "unit": "run-e2e", "e2e": "run-e2e", "images": "build-push-images"} {
		if pr[job].action(action) == nil {
			t.Errorf("pull-request.yml: job %s does not run %s", job, action)
		}
	}
	if w := pr["images"].action("build-push-images"); w != nil && w["push"] != "false" {
		t.Errorf("pull-request.yml: images are pushed (push %q); the README says built, not pushed", w["push"])
	}
	if w := pr["e2e"].action("run-e2e"); w != nil && w["base-url"] != "" {
		t.Errorf("pull-request.yml: E2E runs against a URL, not under Compose")
	}

	for _, name := range []string{"merge.yml", "release.yml"} {
		wf := readProcess(t, name)
		if wf["images"].action("build-push-images") == nil {
			t.Errorf("%s: no images job running build-push-images", name)
		}
		deploy := wf["deploy"]
		if deploy.action("ecs-deploy") == nil || !slices.Contains(deploy.needs(), "images") {
			t.Errorf("%s: the deploy job does not run ecs-deploy after images (needs %v)", name, deploy.needs())
		}
		e2e := wf["e2e"]
		if w := e2e.action("run-e2e"); w == nil || w["base-url"] == "" || !slices.Contains(e2e.needs(), "deploy") {
			t.Errorf("%s: the e2e job does not run run-e2e against base-url after the deploy", name)
		}
		if g := deploy.Concurrency.Group; !strings.Contains(g, "inputs.environment") || deploy.Concurrency.CancelInProgress {
			t.Errorf("%s: deploy concurrency %+v: want a group per environment that never cancels a deploy", name, deploy.Concurrency)
		}
	}

	rel := readProcess(t, "release.yml")
	rb := rel["rollback"]
	if w := rb.action("ecs-deploy"); w == nil || w["rollback"] != "true" {
		t.Errorf("release.yml: no rollback job running ecs-deploy's rollback mode")
	}
	if !slices.Contains(rb.needs(), "e2e") || !strings.Contains(rb.If, "failure()") {
		t.Errorf("release.yml: the rollback does not follow a failed E2E (needs %v, if %q)", rb.needs(), rb.If)
	}
	if rb.Concurrency.Group != rel["deploy"].Concurrency.Group {
		t.Errorf("release.yml: rollback group %q is not the deploy's %q", rb.Concurrency.Group, rel["deploy"].Concurrency.Group)
	}
}
