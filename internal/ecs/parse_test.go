package ecs_test

import (
	"strings"
	"testing"

	"github.com/slipway-actions/slipway/internal/ecs"
)

const digest = "sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945"

func TestParseImages_PinsTheDigestToTheTagsRepository(t *testing.T) {
	t.Parallel()
	for tag, want := range map[string]string{
		"localhost:5000/acme/api:2.0.0": "localhost:5000/acme/api@" + digest,
		"acme/api:2.0.0":                "acme/api@" + digest,
		"123456789012.dkr.ecr.eu-west-2.amazonaws.com/acme/api:sha-abc1234": "123456789012.dkr.ecr.eu-west-2.amazonaws.com/acme/api@" + digest,
		"registry.example:5000/api":                                         "registry.example:5000/api@" + digest,
	} {
		got, err := ecs.ParseImages([]string{`[{"name":"api","tags":["` + tag + `"],"digest":"` + digest + `"}]`})
		if err != nil || got["api"] != want {
			t.Errorf("%s: got %q (%v), want %q", tag, got["api"], err, want)
		}
	}
	if _, err := ecs.ParseImages([]string{`[{"name":"api","tags":["acme/api:1"],"digest":"sha256:abc"}]`}); err == nil || !strings.Contains(err.Error(), `image "api": digest "sha256:abc"`) {
		t.Errorf("a malformed digest: err = %v", err)
	}
}

func TestParseEnvironment_NeverEchoesAValue(t *testing.T) {
	t.Parallel()
	for line, want := range map[string]string{
		"DATABASE_URL=postgres://u:hunter2@db/x":       `line 1: "DATABASE_URL" is not container.NAME (e.g. api.DATABASE_URL=…)`,
		"postgres://u:hunter2@db/x":                    "line 1 is not container.NAME=value (the line is not shown: it may hold a secret)",
		"postgres://u:hunter2@db/x?sslmode=require":    "line 1 is not container.NAME=value",
		"api.DATABASE_URL postgres://u:hunter2@db/x=1": "line 1 is not container.NAME=value",
		".URL=postgres://u:hunter2@db/x":               `line 1: ".URL" is not container.NAME`,
	} {
		_, err := ecs.ParseEnvironment([]string{line})
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s: err = %v, want %q and no value", line, err, want)
		}
	}
	env, err := ecs.ParseEnvironment([]string{"api.DATABASE_URL=postgres://u:hunter2@db/x?sslmode=require", "web.EMPTY="})
	if err != nil || env["api"]["DATABASE_URL"] != "postgres://u:hunter2@db/x?sslmode=require" || env["web"]["EMPTY"] != "" {
		t.Errorf("env = %v, err = %v", env, err)
	}
}

func TestParseSecrets_TakesSecretsManagerAndSSMARNsOnly(t *testing.T) {
	t.Parallel()
	sm := "arn:aws:secretsmanager:eu-west-2:123456789012:secret:example/database-url-AbCdEf"
	ssm := "arn:aws:ssm:eu-west-2:123456789012:parameter/example/api-key"
	got, err := ecs.ParseSecrets([]string{"api.DATABASE_URL=" + sm, "api.API_KEY = " + ssm, "api.DB_JSON=" + sm + ":password::"})
	if err != nil || got["api"]["DATABASE_URL"] != sm || got["api"]["API_KEY"] != ssm || got["api"]["DB_JSON"] != sm+":password::" {
		t.Errorf("secrets = %v, err = %v", got, err)
	}
	_, err = ecs.ParseSecrets([]string{"api.DB_PASSWORD=hunter2hunter2", "api.KEY=arn:aws:s3:::bucket/key"})
	if err == nil || strings.Count(err.Error(), "is not the ARN of a Secrets Manager secret") != 2 || strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "bucket") {
		t.Errorf("err = %v", err)
	}
}

func TestParseResults_AndParseExpected(t *testing.T) {
	t.Parallel()
	targets, err := ecs.ParseResults(`[{"service":"api","task-definition-arn":"arn:aws:ecs:eu-west-2:1:task-definition/api:2","previous-task-definition-arn":"arn:aws:ecs:eu-west-2:1:task-definition/api:1","status":"COMPLETED"},
		{"service":"worker","task-definition-arn":"","previous-task-definition-arn":"","status":"NOT_STARTED"}]`)
	if err != nil || len(targets) != 2 || targets[0].Previous == "" || targets[1].Expected != "" {
		t.Errorf("targets = %+v, err = %v", targets, err)
	}
	for _, bad := range []string{"", "{}", `[]`, `[{"task-definition-arn":"x"}]`, `[{"service":"api","task-definition-arn":"api:2"}]`} {
		if _, err := ecs.ParseResults(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
	targets, err = ecs.ParseExpected([]string{"api=example-api:42", "web=arn:aws:ecs:eu-west-2:123456789012:task-definition/example-web:7"})
	if err != nil || len(targets) != 2 || targets[0].Expected != "example-api:42" {
		t.Errorf("targets = %+v, err = %v", targets, err)
	}
	if _, err := ecs.ParseExpected([]string{"api", "api=example-api", "api=example-api:0", "=x:1"}); err == nil || strings.Count(err.Error(), "is not service=family:revision") != 4 {
		t.Errorf("err = %v", err)
	}
}

// The error for a line never depends on what follows "=" (beyond whether it is an ARN, for
// secrets), nor, for a line without "=", on the line at all: no value can be echoed.
func FuzzParseEnvironment(f *testing.F) {
	f.Add("api.DATABASE_URL", "postgres://u:hunter2@db/x")
	f.Add("DATABASE_URL", "hunter2")
	f.Add("api.X y", "arn:aws:ssm:eu-west-2:1:parameter/x")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, key, value string) {
		if strings.ContainsAny(key+value, "\n\r") || strings.Contains(key, "=") {
			return
		}
		message := func(parse func([]string) (map[string]map[string]string, error), line string) string {
			if _, err := parse([]string{line}); err != nil {
				return err.Error()
			}
			return ""
		}
		if got, want := message(ecs.ParseEnvironment, key+"="+value), message(ecs.ParseEnvironment, key+"=x"); got != want {
			t.Errorf("environment %q: the error depends on the value: %q, with x: %q", key, got, want)
		}
		got := message(ecs.ParseSecrets, key+"="+value)
		if got != message(ecs.ParseSecrets, key+"=x") && got != message(ecs.ParseSecrets, key+"=arn:aws:ssm:eu-west-2:1:parameter/x") {
			t.Errorf("secrets %q: the error depends on the value: %q", key, got)
		}
		if !strings.Contains(value, "=") {
			for _, parse := range []func([]string) (map[string]map[string]string, error){ecs.ParseEnvironment, ecs.ParseSecrets} {
				if got, want := message(parse, value), message(parse, "x"); strings.TrimSpace(value) != "" && got != want {
					t.Errorf("a line without \"=\" is echoed: %q", got)
				}
			}
		}
	})
}
