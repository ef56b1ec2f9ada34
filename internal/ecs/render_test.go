package ecs_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/slipway-actions/slipway/internal/ecs"
)

const secretARN = "arn:aws:secretsmanager:eu-west-2:123456789012:secret:example/database-url-AbCdEf"

func TestRender_ASecretTakesTheNameOutOfTheEnvironment(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	td, err := ecs.ReadTaskDefinition(s.write("env.json", `{"family":"api","containerDefinitions":[{"name":"api","image":"acme/api:1",
		"environment":[{"name":"DATABASE_URL","value":"postgres://old"},{"name":"MODE","value":"prod"}],
		"secrets":[{"name":"TOKEN","valueFrom":"arn:aws:ssm:eu-west-2:123456789012:parameter/token"}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	out, missing := ecs.Render(td, nil,
		map[string]map[string]string{"api": {"TOKEN": "plain", "RELEASE": "2"}},
		map[string]map[string]string{"api": {"DATABASE_URL": secretARN}, "web": {"X": secretARN}})
	c := out.ContainerDefinitions[0]
	var env, secrets []string
	for _, kv := range c.Environment {
		env = append(env, aws.ToString(kv.Name)+"="+aws.ToString(kv.Value))
	}
	for _, sec := range c.Secrets {
		secrets = append(secrets, aws.ToString(sec.Name)+"="+aws.ToString(sec.ValueFrom))
	}
	if got := strings.Join(env, " "); got != "MODE=prod RELEASE=2 TOKEN=plain" {
		t.Errorf("environment = %s", got)
	}
	if got := strings.Join(secrets, " "); got != "DATABASE_URL="+secretARN {
		t.Errorf("secrets = %s", got)
	}
	if len(missing) != 1 || missing[0] != "web" {
		t.Errorf("missing = %v", missing)
	}
	if len(td.ContainerDefinitions[0].Secrets) != 1 {
		t.Error("Render changed its input")
	}
}

func TestPrepare_DiffNamesVariablesWithoutTheirValues(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	o := s.options()
	o.Env = map[string]map[string]string{"api": {"MODE": "staging-hunter2", "RELEASE": "release-candidate-7"}}
	o.Secrets = map[string]map[string]string{"api": {"DATABASE_URL": secretARN}}
	rep, err := s.dep.Prepare(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	diff := rep.Services[0].Diff
	for _, want := range []string{`"Name": "MODE",`, `"Value": "(value not shown)"`, `+          "Value": "(value not shown; changed)"`,
		`"Name": "RELEASE",`, `"ValueFrom": "` + secretARN + `"`} {
		if !strings.Contains(diff, want) {
			t.Errorf("diff lacks %s:\n%s", want, diff)
		}
	}
	for _, value := range []string{"hunter2", "release-candidate", `"prod"`} {
		if strings.Contains(diff, value) {
			t.Errorf("diff shows the value %s:\n%s", value, diff)
		}
	}
	o.ShowValues = true
	rep, err = s.dep.Prepare(context.Background(), o)
	if err != nil || !strings.Contains(rep.Services[0].Diff, `+          "Value": "staging-hunter2"`) {
		t.Errorf("with ShowValues the diff shows values: %v\n%s", err, rep.Services[0].Diff)
	}
	o.Env["api"]["DATABASE_URL"] = "x"
	if _, err := s.dep.Prepare(context.Background(), o); !isInputError(err) || !strings.Contains(err.Error(), "container api: DATABASE_URL is in both environment and secrets") {
		t.Errorf("err = %v", err)
	}
}
