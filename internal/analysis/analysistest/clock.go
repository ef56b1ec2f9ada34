// Package analysistest holds the analysis tests' helpers: a clock that moves only when the
// sampler waits on it, so a bake of hours runs at once and each sample's time is exact.
package analysistest

import (
	"sync"
	"time"
)

// Clock is a fake analysis.Clock: each After moves its time forward by d at once and fires.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock starts a Clock at a fixed instant.
func NewClock() *Clock { return &Clock{now: time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)} }

// Now is the fake time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// After advances the fake time by d and returns a channel that already holds it.
func (c *Clock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(max(d, 0))
	ch := make(chan time.Time, 1)
	ch <- c.now
	return ch
}
