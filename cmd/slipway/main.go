// Command slipway is the one program of slipway's image: each action is its subcommand,
//
//	slipway <lint-python|run-e2e|build-push-images|ecs-deploy|flag-rollout|pr-report> [flags]
//
// Each actions/<name>/action.yml runs it with args [<name>]; the root action.yml (the Marketplace
// entry) runs it without arguments and the action is named by its "command" input. Locally it is the
// CLI of every action, the flags mirroring the inputs: `go run ./cmd/slipway lint-python --help`.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/slipway-actions/slipway/actions/build-push-images"
	"github.com/slipway-actions/slipway/actions/ecs-deploy"
	"github.com/slipway-actions/slipway/actions/flag-rollout"
	"github.com/slipway-actions/slipway/actions/lint-python"
	"github.com/slipway-actions/slipway/actions/pr-report"
	"github.com/slipway-actions/slipway/actions/run-e2e"
	"github.com/slipway-actions/slipway/internal/actionkit"
	"github.com/slipway-actions/slipway/internal/failure"
	"github.com/slipway-actions/slipway/internal/images"
)

// action is one subcommand: an action's Main.
type action func(ctx context.Context, opts ...actionkit.Option) int

// actions are the subcommands, by the name of the action's directory (a test keeps them equal).
var actions = map[string]action{
	"lint-python":       lintpython.Main,
	"run-e2e":           rune2e.Main,
	"build-push-images": buildpushimages.Main,
	"ecs-deploy":        ecsdeploy.Main,
	"flag-rollout":      flagrollout.Main,
	"pr-report":         prreport.Main,
}

// order is how usage lists them: the release process's order.
var order = []string{"lint-python", "run-e2e", "build-push-images", "ecs-deploy", "flag-rollout", "pr-report"}

func main() {
	if code, ok := builder(os.Args[1:]); ok {
		os.Exit(code)
	}
	name, code := command(os.Args[1:], os.Getenv, os.Stdout)
	if name == "" {
		os.Exit(code)
	}
	// The action's name stays the first argument: Guard starts this program again with os.Args (as
	// its crash-proof child, and to take the inputs out of the environment), and the child must run
	// the same action even when the name came from INPUT_COMMAND, which Guard removes.
	os.Args = append([]string{os.Args[0], name}, argsAfter(os.Args[1:])...)
	run := actions[name]
	os.Exit(actionkit.Guard(func() int {
		return run(context.Background(), actionkit.WithArgs(os.Args[2:]))
	}))
}

// builder runs what build-push-images runs in its builder's container (internal/images), not an
// action: buildkitd, and the connection to it.
func builder(args []string) (int, bool) {
	var err error
	switch {
	case len(args) > 1 && args[0] == images.ExecCommand:
		err = images.ExecBuildkitd(args[1:]) // returns only on failure
	case len(args) == 2 && args[0] == images.DialCommand:
		err = images.DialStdio(args[1], os.Stdin, os.Stdout)
	default:
		return 0, false
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return actionkit.ExitCode(err), true
	}
	return actionkit.ExitOK, true
}

// command picks the action: the first argument, else (the root action.yml, which passes none) the
// "command" input. It returns "" and the exit code when there is nothing to run: usage (0 for
// --help, 2 otherwise) or an unknown name (2). The unknown value is not printed: it may come from
// outside, and it must not reach the log as a workflow command.
func command(args []string, getenv func(string) string, out io.Writer) (string, int) {
	name := ""
	if len(args) > 0 {
		name = args[0]
	} else {
		name = strings.TrimSpace(getenv("INPUT_COMMAND"))
	}
	switch {
	case actions[name] != nil:
		return name, 0
	case name == "-h" || name == "--help" || name == "help":
		usage(out)
		return "", actionkit.ExitOK
	case name == "":
		fmt.Fprintf(out, "::error::input \"command\" is required: one of %s\n", strings.Join(order, ", "))
		usage(out)
		return "", actionkit.ExitCode(failure.BadInput(errors.New("no action")))
	default:
		fmt.Fprintf(out, "::error::input \"command\" (or the first argument) is not one of %s\n", strings.Join(order, ", "))
		return "", actionkit.ExitCode(failure.BadInput(errors.New("unknown action")))
	}
}

// argsAfter drops the action's name when it was the first argument.
func argsAfter(args []string) []string {
	if len(args) > 0 && actions[args[0]] != nil {
		return args[1:]
	}
	return nil
}

func usage(out io.Writer) {
	fmt.Fprintf(out, "usage: slipway <action> [flags]   (slipway <action> --help lists its flags)\nactions: %s\n", strings.Join(order, ", "))
}
