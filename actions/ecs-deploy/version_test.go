package ecsdeploy

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/slipway-actions/slipway/internal/actionkit/actiontest"
	"github.com/slipway-actions/slipway/internal/ecs"
	"github.com/slipway-actions/slipway/internal/ecs/ecstest"
)

// release is a step of release.yml's deploy job for the tag vX.Y.Z: the images are build-push-images'
// output (pinned by digest, tagged X.Y.Z, X.Y, X and sha-…), on the same fake ECS as earlier steps.
func release(t *testing.T, f *ecstest.Fake, workspace, v string) *actiontest.Runner {
	r := stepOn(t, f)
	r.Env["GITHUB_WORKSPACE"], r.Env["GITHUB_REF"] = workspace, "refs/tags/v"+v
	const ecr = "123456789012.dkr.ecr.eu-west-2.amazonaws.com/acme/api"
	series := v[:strings.LastIndex(v, ".")]
	images := `[{"name":"api","tags":["` + ecr + ":" + v + `","` + ecr + ":" + series + `","` + ecr + `:sha-abc1234"],"digest":"` + digest + `"}]`
	return r.Input("cluster", "main").Input("services", "api=api.json").Input("poll-interval", "1ms").Input("images", images)
}

// mutations counts the calls that change something on ECS.
func mutations(f *ecstest.Fake) int {
	calls, _ := f.Calls()
	return calls["RegisterTaskDefinition"] + calls["DeregisterTaskDefinition"] + calls["UpdateService"] + calls["RunTask"] + calls["StopTask"] +
		calls["TagResource"] + calls["UntagResource"]
}

// versionOf is the slipway:version tag of the revision a service runs.
func versionOf(f *ecstest.Fake, service string) string {
	tags, _ := f.TaskDefinition(f.ServiceTaskDefinition(service))["tags"].([]any)
	for _, t := range tags {
		if m := t.(map[string]any); m["key"] == ecs.VersionTag {
			return m["value"].(string)
		}
	}
	return ""
}

func deployOK(t *testing.T, r *actiontest.Runner) actiontest.Result {
	t.Helper()
	res := r.Run(t, context.Background(), Main)
	if res.Code != 0 {
		t.Fatalf("exit %d; log:\n%s", res.Code, res.Stdout)
	}
	return res
}

// Two tags' deploys queue in one concurrency group and the older release's runs last: it is
// refused as bad input (exit 2) naming the service and both versions, nothing is touched, and the
// summary shows the comparison.
func TestECSDeploy_AnOlderReleaseThatRunsLastIsRefused(t *testing.T) {
	f, r := runner(t)
	ws := r.Env["GITHUB_WORKSPACE"]
	res := deployOK(t, release(t, f, ws, "1.2.0"))
	if !strings.Contains(res.Stdout, "version 1.2.0 (from the images' tags)") || versionOf(f, "api") != "1.2.0" {
		t.Errorf("1.2.0 is not recorded (runs %q); log:\n%s", versionOf(f, "api"), res.Stdout)
	}
	runs, before := f.ServiceTaskDefinition("api"), mutations(f)

	res = release(t, f, ws, "1.1.0").Run(t, context.Background(), Main)
	if res.Code != 2 || !strings.Contains(res.Stdout, "service api runs 1.2.0 (slipway:version tag of api:2), newer than 1.1.0: refused as a downgrade") ||
		!strings.Contains(res.Stdout, "allow-downgrade: true") {
		t.Fatalf("exit %d, want 2 naming api, 1.2.0 and 1.1.0; log:\n%s", res.Code, res.Stdout)
	}
	if n := mutations(f) - before; n != 0 || f.ServiceTaskDefinition("api") != runs {
		t.Errorf("%d mutating calls; api runs %s, want %s", n, f.ServiceTaskDefinition("api"), runs)
	}
	if !strings.Contains(res.Summary, "| api | NOT\\_STARTED |  | api:2 | 1.1.0 (from 1.2.0) |") || !strings.Contains(res.Summary, "refused: it runs 1.2.0, newer than 1.1.0") {
		t.Errorf("summary:\n%s", res.Summary)
	}
}

func TestECSDeploy_ANewerReleaseOrTheSameAgainPasses(t *testing.T) {
	f, r := runner(t)
	ws := r.Env["GITHUB_WORKSPACE"]
	deployOK(t, release(t, f, ws, "1.1.0"))
	res := deployOK(t, release(t, f, ws, "1.2.0"))
	if !strings.Contains(res.Stdout, "api: deploys 1.2.0 over 1.1.0 (slipway:version tag of api:2): newer") || versionOf(f, "api") != "1.2.0" {
		t.Errorf("runs %q; log:\n%s", versionOf(f, "api"), res.Stdout)
	}
	var results []ecs.ServiceResult
	if err := json.Unmarshal([]byte(res.Outputs["results"]), &results); err != nil || results[0].Version != "1.2.0" || results[0].PreviousVersion != "1.1.0" {
		t.Errorf("results = %s (%v)", res.Outputs["results"], err)
	}
	res = deployOK(t, release(t, f, ws, "1.2.0")) // a re-run
	if !strings.Contains(res.Stdout, "api: deploys 1.2.0 again") {
		t.Errorf("log:\n%s", res.Stdout)
	}
}

// allow-downgrade deploys an older release on purpose (and records it); a release tag with images
// that carry no version (sha-…) still gives the version.
func TestECSDeploy_AllowDowngradeDeploysTheOlderRelease(t *testing.T) {
	f, r := runner(t)
	ws := r.Env["GITHUB_WORKSPACE"]
	deployOK(t, release(t, f, ws, "1.2.0"))
	older := release(t, f, ws, "1.1.0").Input("images", "api=acme/api:sha-abc1234").Input("allow-downgrade", "true")
	res := deployOK(t, older)
	if !strings.Contains(res.Stdout, "version 1.1.0 (from the tag v1.1.0)") || !strings.Contains(res.Stdout, "api: deploys 1.1.0 over 1.2.0 (slipway:version tag of api:2): older, allowed by allow-downgrade") {
		t.Errorf("log:\n%s", res.Stdout)
	}
	if versionOf(f, "api") != "1.1.0" {
		t.Errorf("api runs %q", versionOf(f, "api"))
	}
}

// A rollback is a deliberate downgrade: the rollback mode (release.yml's rollback job) and the
// rollback of a failed deploy both put the older release back, and a later deploy of the newer
// release compares with the version they restored.
func TestECSDeploy_RollbacksStillGoBackToTheOlderRelease(t *testing.T) {
	f, r := runner(t)
	ws := r.Env["GITHUB_WORKSPACE"]
	deployOK(t, release(t, f, ws, "1.1.0"))
	res := deployOK(t, release(t, f, ws, "1.2.0"))
	res = rollbackRunner(t, f, res.Outputs["results"]).Run(t, context.Background(), Main)
	if res.Code != 0 || res.Outputs["status"] != ecs.StatusRolledBack || versionOf(f, "api") != "1.1.0" {
		t.Fatalf("rollback mode: exit %d, status %q, runs %q; log:\n%s", res.Code, res.Outputs["status"], versionOf(f, "api"), res.Stdout)
	}
	f.Script("api", ecstest.Scenario{Kind: ecstest.CrashLoop, Ticks: 2})
	res = release(t, f, ws, "1.2.0").Run(t, context.Background(), Main)
	if res.Code != 1 || res.Outputs["status"] != ecs.StatusRolledBack || versionOf(f, "api") != "1.1.0" || !strings.Contains(res.Stdout, "deploys 1.2.0 over 1.1.0") {
		t.Errorf("a failed 1.2.0: exit %d, status %q, runs %q; log:\n%s", res.Code, res.Outputs["status"], versionOf(f, "api"), res.Stdout)
	}
}

// A dry run shows the comparison: in the log and the summary when it passes, as the refusal when
// it would not; it changes nothing either way.
func TestECSDeploy_DryRunShowsTheVersionComparison(t *testing.T) {
	f, r := runner(t)
	ws := r.Env["GITHUB_WORKSPACE"]
	deployOK(t, release(t, f, ws, "1.2.0"))
	before := mutations(f)
	res := deployOK(t, release(t, f, ws, "1.3.0").Input("dry-run", "true"))
	if !strings.Contains(res.Stdout, "api: deploys 1.3.0 over 1.2.0") || !strings.Contains(res.Summary, "| api | DRY\\_RUN |  | api:2 | 1.3.0 (from 1.2.0) |") {
		t.Errorf("log:\n%s\nsummary:\n%s", res.Stdout, res.Summary)
	}
	res = release(t, f, ws, "1.1.0").Input("dry-run", "true").Run(t, context.Background(), Main)
	if res.Code != 2 || !strings.Contains(res.Stdout, "newer than 1.1.0: refused as a downgrade") || !strings.Contains(res.Summary, "1.1.0 (from 1.2.0)") {
		t.Errorf("exit %d; log:\n%s\nsummary:\n%s", res.Code, res.Stdout, res.Summary)
	}
	if n := mutations(f) - before; n != 0 {
		t.Errorf("%d mutating calls in dry runs", n)
	}
}

func TestECSDeploy_BadVersionInputsTouchNothing(t *testing.T) {
	f, r := runner(t)
	r.Input("version", "1.2").Input("images", "api=acme/api:1.2.0")
	res := r.Run(t, context.Background(), Main)
	if res.Code != 2 || !strings.Contains(res.Stdout, `input "version": "1.2" is not a release version`) {
		t.Errorf("exit %d; log:\n%s", res.Code, res.Stdout)
	}
	r.Input("version", "").Input("images", "api=acme/api:1.2.0\nproxy=nginx:1.25.3")
	res = r.Run(t, context.Background(), Main)
	if res.Code != 2 || !strings.Contains(res.Stdout, `input "version": not given, and the images carry different versions (api 1.2.0; proxy 1.25.3): give the release this deploy is`) {
		t.Errorf("exit %d; log:\n%s", res.Code, res.Stdout)
	}
	res = rollbackRunner(t, f, `[{"service":"api","task-definition-arn":"api:2","previous-task-definition-arn":"api:1"}]`).
		Input("version", "1.2.0").Input("allow-downgrade", "true").Run(t, context.Background(), Main)
	if res.Code != 2 || !strings.Contains(res.Stdout, `input "version": is for a deploy`) || !strings.Contains(res.Stdout, `input "allow-downgrade": is for a deploy; a rollback is a deliberate downgrade already`) {
		t.Errorf("exit %d; log:\n%s", res.Code, res.Stdout)
	}
	if _, n := f.Calls(); n != 0 {
		t.Errorf("%d calls reached ECS", n)
	}
}
