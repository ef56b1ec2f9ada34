package actiontest

import (
	"context"
	"slices"
	"strings"
	"testing"

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
	// Secrets are secret inputs with values that must never be written anywhere.
	Secrets map[string]string
}

// CheckAction runs the checks every slipway action must pass: action.yml is valid and is a container
// action on the slipway image with its own entrypoint; the program reads exactly the inputs
// action.yml declares; --help lists them and exits 0; bad input exits 2 naming every problem, sets
// no output and touches nothing; secret inputs never reach the log, outputs or summary.
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
// and the secret inputs given reach neither the log nor the summary.
func checkBadInput(t *testing.T, spec ActionSpec, _ *actionkit.Metadata) {
	r := NewRunner(t)
	for k, v := range spec.BadInputs {
		r.Input(k, v)
	}
	for k, v := range spec.Secrets {
		r.Input(k, v)
	}
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
	for name, secret := range spec.Secrets {
		for where, text := range map[string]string{"log": WithoutMaskCommands(res.Stdout), "summary": res.Summary} {
			if strings.Contains(text, secret) {
				t.Errorf("secret input %q appears in the %s", name, where)
			}
		}
	}
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
