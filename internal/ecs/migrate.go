package ecs

import (
	"context"
	"fmt"

	"github.com/slipway-actions/slipway/internal/failure"
)

// migrate runs the migration: a one-off task (runOneOff) of the first service's new task
// definition, run before any service is updated. On failure no service is updated and the new
// revisions are deregistered again.
func (d *Deployer) migrate(ctx context.Context, o Options, rep *Report) (*MigrationResult, error) {
	mig := o.Migration
	t := oneOff{name: "migration", timeout: "migration-timeout", startedBy: "slipway-migration", service: rep.Services[0],
		container: mig.Container, command: mig.Command, limit: mig.Timeout}
	m, err := d.runOneOff(ctx, o, rep, t)
	if err == nil {
		return m, nil
	}
	d.deregisterNew(o, rep)
	err = fmt.Errorf("migration failed, no service was updated: %w", err)
	if m.failure == judged {
		return m, failure.Failed(err)
	}
	return m, err
}
