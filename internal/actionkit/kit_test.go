package actionkit_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/slipway-actions/slipway/internal/actionkit"
	"github.com/slipway-actions/slipway/internal/actionkit/actiontest"
	"github.com/slipway-actions/slipway/internal/failure"
)

const testYML = `
name: test-action
description: An action for actionkit's tests.
inputs:
  name:
    description: A required name.
    required: true
  count:
    description: How many, 1 to 10.
    default: "3"
  timeout:
    description: How long.
    default: 10m
  dry-run:
    description: Change nothing.
    default: "false"
  paths:
    description: Paths.
  level:
    description: error or warning.
    default: error
  password:
    description: A secret.
  script:
    description: Lines.
  endpoint:
    description: A URL.
outputs:
  result:
    description: The result.
  report:
    description: A report path.
`

// run builds a Kit on a fake runner, lets f use it, finishes it and returns what the runner saw.
func run(t *testing.T, r *actiontest.Runner, args []string, f func(k *actionkit.Kit)) actiontest.Result {
	t.Helper()
	main := func(ctx context.Context, opts ...actionkit.Option) int {
		k := actionkit.New("test-action", []byte(testYML), opts...)
		f(k)
		if err := k.Finish(); err != nil {
			t.Errorf("Finish: %v", err)
		}
		return 0
	}
	return r.Run(t, context.Background(), main, args...)
}

func TestInputs_TypedValuesDefaultsAndFlags(t *testing.T) {
	t.Parallel()
	r := actiontest.NewRunner(t).Input("name", " api ").Input("count", "7").Input("dry-run", "YES").
		Input("paths", "a, b\nc\n\n").Input("script", "one, two\n# comment\nthree")
	run(t, r, []string{"--timeout", "90s", "--level=WARNING"}, func(k *actionkit.Kit) {
		in := k.Inputs()
		got := []any{in.String("name"), in.Int("count", 1, 10), in.Duration("timeout"), in.Bool("dry-run"),
			in.List("paths"), in.Enum("level", "error", "warning"), in.Multiline("script")}
		want := []any{"api", 7, 90 * time.Second, true, []string{"a", "b", "c"}, "warning", []string{"one, two", "three"}}
		if err := in.Err(); err != nil {
			t.Fatalf("Err: %v", err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got %#v, want %#v", got, want)
		}
	})
}

func TestInputs_EveryProblemNamedAtOnce(t *testing.T) {
	t.Parallel()
	r := actiontest.NewRunner(t).Input("count", "11").Input("timeout", "5x").Input("dry-run", "maybe").
		Input("level", "fatal").Input("endpoint", "ftp://host/x")
	run(t, r, []string{"--bogus", "x"}, func(k *actionkit.Kit) {
		in := k.Inputs()
		in.String("name")
		in.Int("count", 1, 10)
		in.Duration("timeout")
		in.Bool("dry-run")
		in.Enum("level", "error", "warning")
		in.URL("endpoint")
		err := in.Err()
		if actionkit.ExitCode(err) != actionkit.ExitBadInput {
			t.Fatalf("ExitCode = %d, want %d (err %v)", actionkit.ExitCode(err), actionkit.ExitBadInput, err)
		}
		for _, want := range []string{
			`input "name" is required`,
			`input "count": 11 is out of range (1 to 10)`,
			`input "timeout": "5x" is not a duration`,
			`input "dry-run": "maybe" is not a boolean`,
			`input "level": "fatal" is not one of error, warning`,
			`input "endpoint": "ftp://host/x" is not an http(s) URL`,
			`unknown flag --bogus`,
		} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error lacks %q:\n%v", want, err)
			}
		}
	})
}

func TestInputs_UndeclaredInputIsABug(t *testing.T) {
	t.Parallel()
	run(t, actiontest.NewRunner(t).Input("name", "x"), nil, func(k *actionkit.Kit) {
		in := k.Inputs()
		in.String("not-declared")
		if err := in.Err(); err == nil || !strings.Contains(err.Error(), "not declared in action.yml") {
			t.Errorf("Err = %v, want a not-declared error", err)
		}
	})
}

func TestContract_ReportsBothDirections(t *testing.T) {
	t.Parallel()
	run(t, actiontest.NewRunner(t).Input("name", "x"), nil, func(k *actionkit.Kit) {
		in := k.Inputs()
		in.String("name")
		in.String("mystery")
		err := actionkit.CheckInputContract(k)
		if err == nil {
			t.Fatal("CheckInputContract = nil, want errors")
		}
		for _, want := range []string{`"mystery" is read but not declared`, `"count" is declared but never read`} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error lacks %q:\n%v", want, err)
			}
		}
	})
}

func TestHelp_ListsEveryInput(t *testing.T) {
	t.Parallel()
	res := run(t, actiontest.NewRunner(t), []string{"--help"}, func(k *actionkit.Kit) {
		if !k.HelpRequested() {
			t.Error("HelpRequested = false")
		}
		k.Help()
	})
	for _, want := range []string{"--name (required)", "--count (default 3)", "A secret.", "Exit codes"} {
		if !strings.Contains(res.Stdout, want) {
			t.Errorf("help lacks %q:\n%s", want, res.Stdout)
		}
	}
}

func TestOutputs_DelimiterInValueCannotInject(t *testing.T) {
	t.Parallel()
	values := map[string]string{
		"result": "line1\n_GitHubActionsFileCommandDelimeter_\nreport=/etc/passwd\nghadelimiter_x\n",
		"report": "a<<EOF\nb\nEOF",
	}
	res := run(t, actiontest.NewRunner(t), nil, func(k *actionkit.Kit) {
		for _, n := range []string{"result", "report"} {
			if err := k.SetOutput(n, values[n]); err != nil {
				t.Fatal(err)
			}
		}
	})
	if !reflect.DeepEqual(res.Outputs, values) {
		t.Errorf("outputs as the runner reads them = %#v, want %#v", res.Outputs, values)
	}
}

func TestOutputs_UndeclaredOrSecretRefused(t *testing.T) {
	t.Parallel()
	res := run(t, actiontest.NewRunner(t).Input("password", "hunter2-secret"), nil, func(k *actionkit.Kit) {
		in := k.Inputs()
		pw := in.Secret("password")
		if err := k.SetOutput("nope", "x"); err == nil {
			t.Error("SetOutput of an undeclared output succeeded")
		}
		if err := k.SetOutput("result", "token is "+pw); err == nil {
			t.Error("SetOutput of a value holding a secret succeeded")
		}
		if err := k.SetEnv("TOKEN", pw); err == nil {
			t.Error("SetEnv of a secret succeeded")
		}
	})
	if len(res.Outputs) != 0 || len(res.EnvVars) != 0 {
		t.Errorf("outputs %v env %v, want none", res.Outputs, res.EnvVars)
	}
}

// A secret input is masked whatever its shape, as GitHub's ::add-mask:: masks any value: a number,
// a short word, "true". Only the empty value is not. A secret shorter than four characters is kept
// inside a workflow command's syntax (the runner masks it once it has read the command), and an
// output that merely holds the same characters (a digest with a "1" in it) is still written; one
// that is the secret is refused.
func TestMask_ShortAndNumericSecretsAreMasked(t *testing.T) {
	t.Parallel()
	const digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	for _, secret := range []string{"1", "a", "42", "ab", "true", "none", "1234", "12345678"} {
		res := run(t, actiontest.NewRunner(t).Input("password", secret), nil, func(k *actionkit.Kit) {
			if got := k.Inputs().Secret("password"); got != secret {
				t.Errorf("Secret = %q", got)
			}
			for range 8 { // random stop-commands tokens, hex: "1" or "a" is in most of them
				w := k.Untrusted()
				fmt.Fprintf(w, "got: %s\n", secret)
				w.Close()
			}
			k.Infof("PIN: %s.", secret)
			k.Annotate(actionkit.Annotation{File: "app.py", Line: 1, Col: 2, Message: "got " + secret})
			if len(secret) < 4 {
				if err := k.SetOutput("result", digest); err != nil {
					t.Errorf("password %q: SetOutput of a digest: %v", secret, err)
				}
			}
			if err := k.SetOutput("report", " "+secret+"\n"); err == nil {
				t.Errorf("password %q: SetOutput of the secret itself succeeded", secret)
			}
		})
		if !strings.Contains(res.Stdout, "::add-mask::"+secret+"\n") {
			t.Errorf("password %q was not registered with the runner:\n%s", secret, res.Stdout)
		}
		if !strings.Contains(res.Stdout, "PIN: ***.") {
			t.Errorf("password %q was not redacted:\n%s", secret, res.Stdout)
		}
		if !strings.Contains(res.Stdout, "::error col=2,file=app.py,line=1::got ***") {
			t.Errorf("password %q: the annotation is not intact and redacted:\n%s", secret, res.Stdout)
		}
		// Every untrusted block ends (its token is not redacted away), so the annotation after them is read.
		if cmds := actiontest.Commands(res.Stdout); cmds[len(cmds)-1].Name != "error" || strings.Contains(res.Stdout, "got: "+secret) {
			t.Errorf("password %q: the runner would act on %v:\n%s", secret, cmds, res.Stdout)
		}
		if len(secret) < 4 && res.Outputs["result"] != digest {
			t.Errorf("password %q: outputs %v", secret, res.Outputs)
		}
		if _, ok := res.Outputs["report"]; ok {
			t.Errorf("password %q was written as an output", secret)
		}
	}
	res := run(t, actiontest.NewRunner(t).Input("password", "  "), nil, func(k *actionkit.Kit) { k.Inputs().Secret("password") })
	if strings.Contains(res.Stdout, "::add-mask::") {
		t.Errorf("an empty password was masked:\n%s", res.Stdout)
	}
}

func TestMask_SecretNeverWrittenAnywhere(t *testing.T) {
	t.Parallel()
	const secret = "s3cr3t-Pa55word"
	const user = "deploy-bot"
	basic := "ZGVwbG95LWJvdDpzM2NyM3QtUGE1NXdvcmQ=" // base64("deploy-bot:s3cr3t-Pa55word")
	res := run(t, actiontest.NewRunner(t).Input("password", secret).Input("name", "x"), nil, func(k *actionkit.Kit) {
		pw := k.Inputs().Secret("password")
		k.AddBasicAuthMask(user, pw)
		k.Infof("logging in with %s", pw)
		k.Errorf("auth header Basic %s failed", basic)
		k.Annotate(actionkit.Annotation{File: "a.py", Line: 1, Title: pw, Message: "x " + pw})
		k.Summary().Table([]string{"k"}, [][]string{{pw}})
		w := k.Untrusted()
		// A secret split across writes is still caught.
		fmt.Fprint(w, "tool said: "+secret[:5])
		fmt.Fprint(w, secret[5:]+" and more\n")
		w.Close()
		if got := k.Redact("x" + pw + "y"); got != "x***y" {
			t.Errorf("Redact = %q", got)
		}
	})
	visible := res.Stdout
	// The runner consumes ::add-mask:: lines; they carry the secret by design.
	var kept []string
	for _, line := range strings.Split(visible, "\n") {
		if !strings.HasPrefix(line, "::add-mask::") {
			kept = append(kept, line)
		}
	}
	visible = strings.Join(kept, "\n")
	for where, text := range map[string]string{"stdout": visible, "summary": res.Summary, "outputs": fmt.Sprint(res.Outputs)} {
		for _, s := range []string{secret, basic} {
			if strings.Contains(text, s) {
				t.Errorf("%s contains a secret %q:\n%s", where, s, text)
			}
		}
	}
	var masks []string
	for _, c := range actiontest.Commands(res.Stdout) {
		if c.Name == "add-mask" {
			masks = append(masks, c.Message)
		}
	}
	for _, want := range []string{secret, basic} {
		if !contains(masks, want) {
			t.Errorf("no ::add-mask:: for %q (masks %q)", want, masks)
		}
	}
}

func TestUntrusted_CannotIssueCommands(t *testing.T) {
	t.Parallel()
	evil := "::set-output name=x::y\n  ::add-mask::nothing\n##[set-env name=A]b\n::stop-commands::abc\n::abc::\n::error::pwned"
	res := run(t, actiontest.NewRunner(t), nil, func(k *actionkit.Kit) {
		w := k.Untrusted()
		fmt.Fprint(w, evil) // no trailing newline: Close must still resume on a line of its own
		w.Close()
		k.Infof("after: %s", evil)
		k.Errorf("ours")
	})
	names := actiontest.CommandNames(res.Stdout)
	if want := []string{"error", "stop-commands"}; !reflect.DeepEqual(names, want) {
		t.Errorf("runner would act on %v, want %v; log:\n%s", names, want, res.Stdout)
	}
	if !strings.Contains(res.Stdout, "::error::pwned") {
		t.Error("untrusted text was altered inside the stop-commands block")
	}
	if errs := countCommand(res.Stdout, "error"); errs != 1 {
		t.Errorf("%d error commands, want 1 (ours)", errs)
	}
}

func TestAnnotations_CappedAtTenPerLevelRestInSummary(t *testing.T) {
	t.Parallel()
	res := run(t, actiontest.NewRunner(t), nil, func(k *actionkit.Kit) {
		for i := 1; i <= 14; i++ {
			k.Annotate(actionkit.Annotation{Level: actionkit.LevelError, File: "app/x.py", Line: i, Message: fmt.Sprintf("E%d", i)})
		}
		k.Annotate(actionkit.Annotation{Level: actionkit.LevelWarning, File: "app/y.py", Line: 1, Message: strings.Repeat("w", 10000)})
	})
	if n := countCommand(res.Stdout, "error"); n != 10 {
		t.Errorf("%d error annotations printed, want 10", n)
	}
	if n := countCommand(res.Stdout, "warning"); n != 1 {
		t.Errorf("%d warning annotations, want 1", n)
	}
	for _, c := range actiontest.Commands(res.Stdout) {
		if c.Name == "warning" && len(c.Message) > 4096 {
			t.Errorf("warning message is %d bytes, want ≤ 4096", len(c.Message))
		}
	}
	if !strings.Contains(res.Summary, "4 error more") || !strings.Contains(res.Summary, "app/x.py:14") {
		t.Errorf("summary lacks the overflow table:\n%s", res.Summary)
	}
}

func TestSummary_EscapesAndCapsSize(t *testing.T) {
	t.Parallel()
	res := run(t, actiontest.NewRunner(t), nil, func(k *actionkit.Kit) {
		s := k.Summary()
		s.Table([]string{"name"}, [][]string{{"a|b\n<img src=x>[link](http://e)"}})
		big := strings.Repeat("x", 300*1024)
		for range 5 {
			s.Paragraph(big)
		}
	})
	if strings.Contains(res.Summary, "<img") || strings.Contains(res.Summary, "a|b") {
		t.Errorf("outside text not escaped:\n%.300s", res.Summary)
	}
	if len(res.Summary) > 1024*1024 {
		t.Errorf("summary is %d bytes, over 1 MiB", len(res.Summary))
	}
	if !strings.Contains(res.Summary, "2 more part(s)") {
		t.Errorf("summary does not say what was dropped: ...%s", res.Summary[len(res.Summary)-200:])
	}
}

func TestLocalMode_PlainAnnotationsAndPrintedOutputs(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	env := map[string]string{"INPUT_NAME": "x"}
	k := actionkit.New("test-action", []byte(testYML), actionkit.WithStdout(&out),
		actionkit.WithGetenv(func(s string) string { return env[s] }), actionkit.WithArgs([]string{"--password", "pw-123456"}))
	if !k.Local() {
		t.Fatal("Local() = false without GITHUB_ACTIONS")
	}
	k.Inputs().Secret("password")
	k.Annotate(actionkit.Annotation{File: "app/a.py", Line: 3, Col: 5, Title: "E501", Message: "line too long"})
	if err := k.SetOutput("result", "ok"); err != nil {
		t.Fatal(err)
	}
	k.Summary().Paragraph("hello")
	if err := k.Finish(); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []string{"app/a.py:3:5: error: [E501] line too long", "result=ok", "hello"} {
		if !strings.Contains(got, want) {
			t.Errorf("local output lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "::") {
		t.Errorf("local output has workflow commands:\n%s", got)
	}
}

func TestExitCode_OneMapping(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err  error
		want int
	}{
		{nil, 0},
		{failure.Failed(errors.New("3 findings")), 1},
		{fmt.Errorf("wrapped: %w", failure.Failed(errors.New("deploy failed"))), 1},
		{failure.BadInput(errors.New("x")), 2},
		{errors.New("docker down"), 3},
		{fmt.Errorf("build: %w", errors.New("engine gone")), 3},
		{context.Canceled, 3},
	} {
		if got := actionkit.ExitCode(tc.err); got != tc.want {
			t.Errorf("ExitCode(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}

func TestNeutralise(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"plain text":            "plain text",
		"a::b":                  "a::b",
		"::set-output name=a::": ":\u200b:set-output name=a::",
		"ok\n  ::error::x":      "ok\n  :\u200b:error::x",
		"x ##[error]y":          "x #\u200b#[error]y",
		"a\r::warning::w":       "a\r:\u200b:warning::w",
		"\u00a0::debug::d":      "\u00a0:\u200b:debug::d",
	} {
		if got := actionkit.Neutralise(in); got != want {
			t.Errorf("Neutralise(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzOutputValue(f *testing.F) {
	for _, s := range []string{"", "x", "a\nb", "ghadelimiter_\n", "_GitHubActionsFileCommandDelimeter_", "result<<X\nX\n", "%0A::set-output name=report::x", "\r\n\r"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, value string) {
		r := actiontest.NewRunner(t)
		res := run(t, r, nil, func(k *actionkit.Kit) {
			if err := k.SetOutput("result", value); err != nil {
				t.Fatal(err)
			}
		})
		// The runner reads lines as .NET does: a value's trailing \r joins the \n after it.
		want := strings.TrimSuffix(actiontest.NormaliseLineBreaks(value+"\n"), "\n")
		if len(res.Outputs) != 1 || res.Outputs["result"] != want {
			t.Fatalf("runner reads %#v, want only result=%q", res.Outputs, want)
		}
		if cmds := actiontest.Commands(res.Stdout); len(cmds) != 0 {
			t.Fatalf("log has commands %v", cmds)
		}
	})
}

func FuzzUntrustedText(f *testing.F) {
	for _, s := range []string{"::set-output name=x::y", "::add-mask::x", "::stop-commands::t\n::t::", "%0A::error::x", "a\r\n::warning::b", "##[error]x", " \u3000::debug::x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		res := run(t, actiontest.NewRunner(t), nil, func(k *actionkit.Kit) {
			w := k.Untrusted()
			fmt.Fprint(w, text)
			w.Close()
			k.Infof("%s", text)
			k.Annotate(actionkit.Annotation{File: text, Title: text, Message: text})
			k.Group(text)
			k.EndGroup()
		})
		for _, c := range actiontest.Commands(res.Stdout) {
			switch c.Name {
			case "stop-commands", "error", "group", "endgroup":
			default:
				t.Fatalf("untrusted text issued %q; log:\n%s", c.Name, res.Stdout)
			}
		}
		if n := countCommand(res.Stdout, "error"); n != 1 {
			t.Fatalf("%d error commands, want exactly our one; log:\n%s", n, res.Stdout)
		}
		if len(res.Outputs) != 0 {
			t.Fatalf("outputs appeared: %v", res.Outputs)
		}
	})
}

func countCommand(log, name string) int {
	n := 0
	for _, c := range actiontest.Commands(log) {
		if c.Name == name {
			n++
		}
	}
	return n
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Debug output appears only in debug mode: RUNNER_DEBUG=1 in a workflow (a ::debug:: command, whose
// text cannot issue another), --debug locally.
func TestDebug_OnlyInDebugMode(t *testing.T) {
	t.Parallel()
	say := func(k *actionkit.Kit) { k.Debugf("engine at %s", "unix:///x\n::error::injected") }
	r := actiontest.NewRunner(t).Input("name", "x")
	if res := run(t, r, nil, say); strings.Contains(res.Stdout, "engine at") {
		t.Errorf("debug output without debug mode:\n%s", res.Stdout)
	}
	r.Env["RUNNER_DEBUG"] = "1"
	res := run(t, r, nil, say)
	if !strings.Contains(res.Stdout, "::debug::engine at unix:///x") || strings.Contains(res.Stdout, "\n::error::injected") {
		t.Errorf("RUNNER_DEBUG=1:\n%s", res.Stdout)
	}
	var out bytes.Buffer
	env := map[string]string{"INPUT_NAME": "x"}
	k := actionkit.New("test-action", []byte(testYML), actionkit.WithStdout(&out),
		actionkit.WithGetenv(func(s string) string { return env[s] }), actionkit.WithArgs([]string{"--debug"}))
	say(k)
	if err := k.Finish(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "debug: engine at unix:///x") {
		t.Errorf("--debug locally:\n%s", out.String())
	}
}
