package actiontest

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slipway-actions/slipway/internal/actionkit"
)

// ActionSpec describes one action for CheckAction.
type ActionSpec struct {
	Name  string                       // directory and binary name, e.g. "lint-python"
	YAML  []byte                       // the embedded action.yml
	Main  MainFunc                     // realMain
	Parse func(k *actionkit.Kit) error // parseConfig, for the input contract
	// BadInputs are inputs the action must reject; WantErrors are texts the error must hold (each
	// naming its input), all reported in the one run.
	BadInputs  map[string]string
	WantErrors []string
	// Secrets are secret inputs with values that must never be written anywhere: every input the
	// program reads as a secret.
	Secrets map[string]string
	// Fakes points r at fakes of everything the action talks to, each behind a proxy of fakes (through
	// the environment, or inputs such as an API URL), and returns the other inputs (but Secrets) of a
	// run that succeeds or fails on its merits against them, sending the secrets where they go. The
	// bad-input run is in r as Fakes left it, with BadInputs and Secrets.
	Fakes func(t *testing.T, r *Runner, fakes *Fakes) (inputs map[string]string)
	// SecretEnv names the variables of the step's environment that Fakes sets to secrets (an AWS
	// secret key): they must not leak either, but need not reach a fake (SigV4 sends a signature).
	SecretEnv []string
	// Needs, when set, skips the secret run (or fails it, in CI) when what it needs is missing: a
	// linter, the Docker engine. The other checks need nothing but the fakes.
	Needs func(t *testing.T)
	// NotSent names the secrets the secret run cannot see reach a fake, and why (a build secret
	// travels inside the engine's BuildKit session, which the proxy passes on unread).
	NotSent map[string]string
}

// CheckAction runs the checks every slipway action must pass: action.yml is valid and is a container
// action on the slipway image with its own entrypoint; the program reads exactly the inputs
// action.yml declares; --help lists them and exits 0; bad input exits 2 naming every problem, sets
// no output and sends no request to anything; secret inputs, run against the fakes as the program
// itself, never reach the log (stdout and stderr), the summary, outputs, the environment file or any
// file the run writes, in any form in which they could be read back.
func CheckAction(t *testing.T, spec ActionSpec) {
	t.Helper()
	meta, err := actionkit.ParseMetadata(spec.YAML)
	if err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	for _, c := range []struct {
		name  string
		check func(*testing.T, ActionSpec, *actionkit.Metadata)
	}{
		{"runs the slipway image as its subcommand", checkImage},
		{"reads exactly the declared inputs", checkInputContract},
		{"help lists every input and exits 0", checkHelp},
		{"bad input exits 2 naming every problem", checkBadInput},
		{"secrets never reach the log, summary, outputs or files", checkSecretRun},
		{"local CLI flags mirror inputs", checkLocalFlags},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.check(t, spec, meta)
		})
	}
}

// checkImage: the action runs the slipway image's one program, with its name as the subcommand.
func checkImage(t *testing.T, spec ActionSpec, meta *actionkit.Metadata) {
	if meta.Runs.Using != "docker" || !strings.HasPrefix(meta.Runs.Image, "docker://ghcr.io/slipway-actions/slipway") {
		t.Errorf("runs = %+v, want using docker on the slipway image", meta.Runs)
	}
	if meta.Runs.Entrypoint != "/usr/local/bin/slipway" || !slices.Equal(meta.Runs.Args, []string{spec.Name}) {
		t.Errorf("entrypoint %q args %q, want /usr/local/bin/slipway [%s]", meta.Runs.Entrypoint, meta.Runs.Args, spec.Name)
	}
}

// checkInputContract: parsing the config reads exactly the inputs action.yml declares.
func checkInputContract(t *testing.T, spec ActionSpec, _ *actionkit.Metadata) {
	r := NewRunner(t)
	k := actionkit.New(spec.Name, spec.YAML, actionkit.WithGetenv(r.Getenv), actionkit.WithStdout(&strings.Builder{}), actionkit.WithArgs(nil))
	_ = spec.Parse(k)
	if err := actionkit.CheckInputContract(k); err != nil {
		t.Errorf("input contract:\n%v", err)
	}
}

// checkHelp: --help lists every input and exits 0.
func checkHelp(t *testing.T, spec ActionSpec, meta *actionkit.Metadata) {
	res := NewRunner(t).Run(t, context.Background(), spec.Main, "--help")
	if res.Code != actionkit.ExitOK {
		t.Errorf("--help exit code = %d, want 0", res.Code)
	}
	for _, name := range meta.InputNames() {
		if !strings.Contains(res.Stdout, "--"+name) {
			t.Errorf("--help does not mention --%s", name)
		}
	}
}

// checkBadInput: bad input exits 2 with every problem in the error annotations, sets no output,
// sends no request to the fakes the action would talk to, writes no file in the workspace,
// RUNNER_TEMP or HOME, and the secret inputs given reach neither the log nor the summary.
func checkBadInput(t *testing.T, spec ActionSpec, _ *actionkit.Metadata) {
	r := NewRunner(t)
	fakes := &Fakes{}
	if spec.Fakes == nil {
		t.Fatal("ActionSpec.Fakes is nil: say what the action talks to, so a bad-input run can be seen to send nothing")
	}
	spec.Fakes(t, r, fakes)
	for k, v := range spec.BadInputs {
		r.Input(k, v)
	}
	for k, v := range spec.Secrets {
		r.Input(k, v)
	}
	roots := []string{r.Env["GITHUB_WORKSPACE"], r.Env["RUNNER_TEMP"], r.Env["HOME"]}
	before := snapshot(roots...)
	res := r.Run(t, context.Background(), spec.Main)
	if res.Code != actionkit.ExitBadInput {
		t.Fatalf("exit code = %d, want %d; log:\n%s", res.Code, actionkit.ExitBadInput, res.Stdout)
	}
	var errText strings.Builder
	for _, c := range Commands(res.Stdout) {
		if c.Name == "error" {
			errText.WriteString(strings.ReplaceAll(c.Message, "%0A", "\n"))
		}
	}
	for _, want := range spec.WantErrors {
		if !strings.Contains(errText.String(), want) {
			t.Errorf("error annotation lacks %q:\n%s", want, errText.String())
		}
	}
	if len(res.Outputs) != 0 {
		t.Errorf("outputs set on bad input: %v", res.Outputs)
	}
	for _, p := range written(before, roots...) {
		if p != r.OutputFile && p != r.EnvFile && p != r.SummaryFile {
			t.Errorf("bad input, yet the run wrote %s", p)
		}
	}
	for _, req := range fakes.Requests() {
		t.Errorf("bad input, yet a request reached %s (through its counting proxy): %s %s", req.Fake, req.Method, req.Path)
	}
	for name, secret := range spec.Secrets {
		for where, text := range map[string]string{"log": WithoutMaskCommands(res.Stdout), "summary": res.Summary} {
			if how := leakIn(text, secret); how != "" {
				t.Errorf("secret input %q appears in the %s (%s)", name, where, how)
			}
		}
	}
}

// checkSecretRun: the action, started as its own program (Guard and its child, as the runner starts
// it) with every secret input, runs against the fakes and uses the secrets there, and no form of any
// secret reaches its stdout or stderr (but the ::add-mask:: commands), the step summary, the outputs,
// the environment file, or a file it wrote in the workspace, RUNNER_TEMP, HOME or its TMPDIR.
func checkSecretRun(t *testing.T, spec ActionSpec, _ *actionkit.Metadata) {
	checkSecretsListed(t, spec)
	if spec.Fakes == nil {
		t.Fatal("ActionSpec.Fakes is nil: say what the action talks to, so a run can be seen to use its secrets")
	}
	if spec.Needs != nil {
		spec.Needs(t)
	}
	r := NewRunner(t)
	fakes := &Fakes{}
	for k, v := range spec.Fakes(t, r, fakes) {
		r.Input(k, v)
	}
	for k, v := range spec.Secrets {
		r.Input(k, v)
	}
	tmp := t.TempDir()
	if err := os.Chmod(tmp, 0o1777); err != nil { // the sandboxed user writes there too
		t.Fatal(err)
	}
	roots := []string{filepath.Dir(r.OutputFile), r.Env["GITHUB_WORKSPACE"], r.Env["RUNNER_TEMP"], r.Env["HOME"], tmp}
	before := snapshot(roots...)
	proc := r.Start(t, os.Args[0], []string{"-test.run=^$"}, AsActionEnv+"=1", "TMPDIR="+tmp)
	code, ended := proc.Wait(5 * time.Minute)
	log := proc.Log()
	if !ended {
		t.Fatalf("still running after 5 minutes:\n%s", log)
	}
	if code != actionkit.ExitOK && code != actionkit.ExitFailed {
		t.Fatalf("exit %d, want 0 or 1 (a run against working fakes; does the package's TestMain call "+
			"actiontest.MainAsAction?); log:\n%s", code, log)
	}
	sent := fakes.Requests()
	if len(sent) == 0 {
		t.Fatalf("no request reached a fake: the run never used its secrets; log:\n%s", log)
	}
	for name, secret := range spec.Secrets {
		if _, ok := spec.NotSent[name]; ok {
			continue
		}
		used := false
		for _, req := range sent {
			if leakIn(req.Text, secret) != "" {
				used = true
				break
			}
		}
		if !used {
			t.Errorf("secret input %q reached no fake: the check would pass without the secret ever being used", name)
		}
	}
	secrets := map[string]string{}
	for name, v := range spec.Secrets {
		secrets["input "+name] = v
	}
	for _, name := range spec.SecretEnv {
		if r.Env[name] == "" {
			t.Errorf("SecretEnv names %s, which Fakes did not set", name)
		}
		secrets["environment variable "+name] = r.Env[name]
	}
	for i, v := range maskedValues(log) {
		if !slices.Contains(slices.Collect(maps.Values(spec.Secrets)), v) {
			secrets["the value of ::add-mask:: number "+strconv.Itoa(i+1)] = v
		}
	}
	texts := map[string]string{"log (stdout and stderr)": WithoutMaskCommands(log)}
	for _, p := range written(before, roots...) {
		texts[p] = readHead(p)
	}
	for what, secret := range secrets {
		for where, text := range texts {
			if how := leakIn(text, secret); how != "" {
				t.Errorf("%s appears %s in %s", what, how, where)
			}
		}
	}
}

// checkSecretsListed: every input the program reads as a secret (registers to be masked) is in
// ActionSpec.Secrets, so that the secret run gives it a value and looks for it.
func checkSecretsListed(t *testing.T, spec ActionSpec) {
	meta, err := actionkit.ParseMetadata(spec.YAML)
	if err != nil {
		t.Fatal(err)
	}
	r := NewRunner(t)
	probes := map[string]string{}
	for _, name := range meta.InputNames() {
		probes[name] = "probe-" + name + "-value"
		r.Input(name, probes[name])
	}
	k := actionkit.New(spec.Name, spec.YAML, actionkit.WithGetenv(r.Getenv), actionkit.WithStdout(&strings.Builder{}), actionkit.WithArgs(nil))
	_ = spec.Parse(k)
	for name, v := range probes {
		if _, listed := spec.Secrets[name]; k.Redact(v) != v && !listed {
			t.Errorf("input %q is read as a secret but not in ActionSpec.Secrets: the secret run does not look for it", name)
		}
	}
}

// maskedValues lists what a log registers with ::add-mask:: (as the runner decodes it), the values
// long enough not to turn up by chance.
func maskedValues(log string) []string {
	var out []string
	for _, line := range strings.Split(log, "\n") {
		v, ok := strings.CutPrefix(strings.TrimSuffix(line, "\r"), "::add-mask::")
		if !ok {
			continue
		}
		v = strings.NewReplacer("%0D", "\r", "%0A", "\n", "%25", "%").Replace(v)
		if len(v) >= minEncodedForm {
			out = append(out, v)
		}
	}
	return out
}

// AsActionEnv, set to 1, makes a test binary whose TestMain calls MainAsAction run as the action.
const AsActionEnv = "SLIPWAY_TEST_AS_ACTION"

// MainAsAction is an action package's TestMain: with AsActionEnv=1 the test binary is the action
// itself, as cmd/slipway runs it (actionkit.Guard, its child, the inputs moved out of the
// environment), so that CheckAction and the tests can start it as the runner starts a step;
// otherwise it runs the tests.
func MainAsAction(m *testing.M, main MainFunc) int {
	if os.Getenv(AsActionEnv) == "1" {
		return actionkit.Guard(func() int { return main(context.Background(), actionkit.WithArgs(nil)) })
	}
	return m.Run()
}

// checkLocalFlags: run as a local CLI, the same bad values given as flags exit 2 with the same
// problems, and no workflow command is printed.
func checkLocalFlags(t *testing.T, spec ActionSpec, _ *actionkit.Metadata) {
	r := NewRunner(t)
	delete(r.Env, "GITHUB_ACTIONS")
	var args []string
	for k, v := range spec.BadInputs {
		args = append(args, "--"+k, v)
	}
	res := r.Run(t, context.Background(), spec.Main, args...)
	if res.Code != actionkit.ExitBadInput {
		t.Fatalf("exit code = %d, want %d; log:\n%s", res.Code, actionkit.ExitBadInput, res.Stdout)
	}
	for _, want := range spec.WantErrors {
		if !strings.Contains(res.Stdout, want) {
			t.Errorf("local output lacks %q:\n%s", want, res.Stdout)
		}
	}
	if strings.Contains(res.Stdout, "::error") {
		t.Errorf("local mode printed workflow commands:\n%s", res.Stdout)
	}
}

// WithoutMaskCommands drops the ::add-mask:: lines from a log: the one place a secret is meant to
// appear, so a leak check looks at the rest.
func WithoutMaskCommands(log string) string {
	var kept []string
	for _, line := range strings.Split(log, "\n") {
		if !strings.HasPrefix(line, "::add-mask::") {
			kept = append(kept, line)
		}
	}
	return strings.Join(kept, "\n")
}
