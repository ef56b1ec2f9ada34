// Package wait is waiting that a cancel ends: a pause between retries or polls that gives way to the
// run's context.
package wait
