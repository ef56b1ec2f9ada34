package actionkit

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"syscall"
)

// ErrNotBuilt is returned by an action whose engine is not written yet: it exits 3 and says so, never 0.
var ErrNotBuilt = errors.New("this action's engine is not built yet")

// Run is the one body every slipway main shares: --help, cancellation on SIGINT/SIGTERM (GitHub sends
// SIGTERM when a run is cancelled), the work, the reason for a failure, the summary, and the exit code.
// work must read and validate all inputs before it touches anything, and return BadInput errors for
// them.
func (k *Kit) Run(ctx context.Context, work func(ctx context.Context) error) int {
	if k.help {
		k.Help()
		return ExitOK
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := work(ctx)
	switch {
	case errors.Is(err, ErrNotBuilt):
		err = Infra(err)
	case IsBadInput(err):
		k.Infof("Run with --help, or see this action's README, for the inputs.")
	}
	if err != nil {
		k.fail(err)
	}
	if ferr := k.Finish(); ferr != nil {
		k.Errorf("%v", ferr)
		if err == nil {
			return ExitInfra
		}
	}
	return ExitCode(err)
}

// fail reports why the run failed: as an error annotation while GitHub's cap leaves room, else as a
// log line and a line of the summary, so the reason is never buried in the overflow table.
func (k *Kit) fail(err error) {
	k.mu.Lock()
	room := k.annotations.printed[LevelError] < maxAnnotationsPerLevel
	k.mu.Unlock()
	if room || k.local {
		k.Errorf("%v", err)
		return
	}
	msg := k.secrets.redact(err.Error())
	k.println("Error: " + Neutralise(msg))
	k.summary.Paragraph("Failed: " + msg)
}

// Main is the whole realMain of a slipway action: the Kit from the action's embedded action.yml,
// every input parsed and validated by parse before work touches anything, then work, through Run.
func Main[C any](ctx context.Context, program string, actionYML []byte, opts []Option,
	parse func(*Kit) (C, error), work func(context.Context, *Kit, C) error) int {
	k := New(program, actionYML, opts...)
	return k.Run(ctx, func(ctx context.Context) error {
		cfg, err := parse(k)
		if err != nil {
			return err
		}
		return work(ctx, k, cfg)
	})
}
