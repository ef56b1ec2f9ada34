package ecs

import (
	"context"
	"testing"
	"time"
)

func TestDetached_OutlivesItsParentByTheGraceOnly(t *testing.T) {
	t.Parallel()
	parent, cancel := context.WithCancel(context.Background())
	ctx, stop := detached(parent, time.Hour, 50*time.Millisecond)
	defer stop()
	cancel()
	if ctx.Err() != nil {
		t.Fatal("ended with its parent: a rollback would not start")
	}
	start := time.Now()
	<-ctx.Done()
	if took := time.Since(start); took < 40*time.Millisecond || took > time.Second || !wasCancelled(ctx) {
		t.Errorf("ended %s after the cancel (cancelled: %v), want the 50ms grace", took, wasCancelled(ctx))
	}
	// Made after the cancel: the grace from now, with a deadline diagnostics can see.
	late, stop2 := detached(parent, time.Hour, 50*time.Millisecond)
	defer stop2()
	if !hasTime(late, 10*time.Millisecond) || hasTime(late, time.Second) {
		t.Error("a context made after the cancel does not show the grace as its deadline")
	}
	<-late.Done()
	if !wasCancelled(late) {
		t.Error("the end of the grace does not read as a cancel")
	}
	// Its own bound, without a cancel, is a timeout.
	bounded, stop3 := detached(context.Background(), 20*time.Millisecond, time.Hour)
	defer stop3()
	<-bounded.Done()
	if wasCancelled(bounded) {
		t.Error("a bound that passed reads as a cancel")
	}
}
