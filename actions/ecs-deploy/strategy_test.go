package ecsdeploy

import (
	"context"
	"strings"
	"testing"

	"github.com/slipway-actions/slipway/internal/ecs/ecstest"
)

func TestECSDeploy_BadStrategyCombinationsExit2ListingAll(t *testing.T) {
	f, r := runner(t)
	r.Input("images", "api=acme/api:2.0.0").Input("strategy", "linear").Input("canary-percent", "5").
		Input("linear-step-bake-time", "90s").Input("bake-time", "soon").
		Input("lifecycle-hooks", "arn:aws:lambda:eu-west-2:123456789012:function:smoke POST_TEST_TRAFFIC_SHIFT")
	res := r.Run(t, context.Background(), Main)
	if res.Code != 2 {
		t.Fatalf("exit %d; log:\n%s", res.Code, res.Stdout)
	}
	for _, want := range []string{`input "canary-percent": needs strategy canary, not linear`, `input "linear-step-bake-time": 1m30s is not whole minutes`,
		`input "bake-time": "soon" is not a duration`, `input "lifecycle-hook-role-arn": needed by the hook`} {
		if !strings.Contains(res.Stdout, want) {
			t.Errorf("log lacks %q:\n%s", want, res.Stdout)
		}
	}
	if _, n := f.Calls(); n != 0 {
		t.Errorf("%d calls reached ECS after bad input", n)
	}
}

func TestECSDeploy_AlarmInAlarmExits1NamingIt(t *testing.T) {
	f, r := runner(t)
	f.Script("api", ecstest.Scenario{Kind: ecstest.Healthy, Ticks: 1000})
	r.Input("images", "api=acme/api:2.0.0").Input("strategy", "canary").Input("canary-percent", "10").
		Input("canary-bake-time", "500m").Input("alarms", "api-5xx\napi-p99")
	go func() {
		<-f.Reached("DescribeServiceDeployments", 7) // the canary step: 10% of production traffic
		f.SetAlarm("api-5xx")
	}()
	res := r.Run(t, context.Background(), Main)
	if res.Code != 1 || res.Outputs["status"] != "ROLLED_BACK" || !strings.Contains(res.Stdout, "alarm api-5xx in ALARM") {
		t.Fatalf("exit %d, status %q; log:\n%s", res.Code, res.Outputs["status"], res.Stdout)
	}
	if got := f.ServiceTaskDefinition("api"); !strings.HasSuffix(got, "api:1") {
		t.Errorf("service runs %s, want api:1", got)
	}
}

func TestECSDeploy_DryRunShowsTheStrategy(t *testing.T) {
	f, r := runner(t)
	r.Input("images", "api=acme/api:2.0.0").Input("dry-run", "true").Input("strategy", "blue-green").Input("bake-time", "15m").
		Input("lifecycle-hooks", "arn:aws:lambda:eu-west-2:123456789012:function:smoke POST_TEST_TRAFFIC_SHIFT").
		Input("lifecycle-hook-role-arn", "arn:aws:iam::123456789012:role/ecs-hooks")
	res := r.Run(t, context.Background(), Main)
	if res.Code != 0 || !strings.Contains(res.Stdout, "would update api from api:1 to the new revision with strategy blue-green, bake 15m0s, hook smoke at POST_TEST_TRAFFIC_SHIFT, then wait") {
		t.Fatalf("exit %d; log:\n%s", res.Code, res.Stdout)
	}
	if c, _ := f.Calls(); c["UpdateService"] != 0 {
		t.Errorf("a dry run updated a service")
	}
}
