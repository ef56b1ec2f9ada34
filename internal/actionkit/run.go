package actionkit

import (
	"context"
	"errors"
	"fmt"
	"github.com/slipway-actions/slipway/internal/failure"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

// Run is the one body every slipway main shares: --help, cancellation on SIGINT/SIGTERM (the runner
// sends both when a run is cancelled), the work, the reason for a failure, the summary, and the exit
// code. work must read and validate all inputs before it touches anything, and return failure.BadInput errors
// for them. A panic in work is a bug of ours: exit 3 with an error annotation, never Go's exit 2 (which
// means bad input here). An output that could not be written is exit 3 too: a later job would act on
// a value that is not there.
func (k *Kit) Run(ctx context.Context, work func(ctx context.Context) error) int {
	if k.help {
		k.Help()
		return ExitOK
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := k.protect(ctx, work)
	k.closeUntrusted()
	if failure.IsBadInput(err) {
		k.Infof("Run with --help, or see this action's README, for the inputs.")
	}
	if err != nil {
		k.fail(err)
	}
	k.mu.Lock()
	outErr := errors.Join(k.outputErrs...)
	k.mu.Unlock()
	if outErr != nil {
		k.fail(outErr)
	}
	code := ExitCode(err)
	if outErr != nil && !failure.IsBadInput(err) {
		code = ExitInfra
	}
	k.runAtEnd(ctx, err, code)
	if ferr := k.Finish(); ferr != nil {
		k.Errorf("%v", ferr)
		if err == nil {
			return ExitInfra
		}
	}
	return code
}

// protect runs work and turns a panic into an error (exit 3), with the stack in the log for the bug
// report.
func (k *Kit) protect(ctx context.Context, work func(context.Context) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			k.closeUntrusted()
			w := k.Untrusted()
			_, _ = fmt.Fprintf(w, "panic: %v\n\n%s", r, debug.Stack())
			_ = w.Close()
			err = fmt.Errorf("internal error (a bug in slipway; the log holds its stack trace, please report it): %v", r)
		}
	}()
	return work(ctx)
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
