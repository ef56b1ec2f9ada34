package wait

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestFor_WaitsOutTheDurationOrEndsWithTheContext(t *testing.T) {
	if err := For(context.Background(), time.Millisecond); err != nil {
		t.Errorf("For(1ms) = %v, want nil", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	// An hour, ended by the cancel: the test would time out if For waited it.
	if err := For(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("For(cancelled, 1h) = %v, want context.Canceled", err)
	}
}
