package ecs

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/slipway-actions/slipway/internal/preflight"
)

// verify checks, with read-only calls, what each rendered task definition needs (package
// preflight): its problems join Prepare's, so every one is listed at once as bad input before
// anything is registered. The network checked is the service's own awsvpc configuration. Without
// a Verify checker it checks nothing.
func (d *Deployer) verify(ctx context.Context, rep *Report, found map[string]types.Service) ([]error, error) {
	if d.Verify == nil {
		return nil, nil
	}
	var subjects []preflight.Subject
	for _, r := range rep.Services {
		s, ok := found[r.Service]
		if !ok || r.next == nil {
			continue
		}
		sub := preflight.Subject{Service: r.Service, TaskDefinition: r.next}
		if s.NetworkConfiguration != nil {
			sub.Network = s.NetworkConfiguration.AwsvpcConfiguration
		}
		subjects = append(subjects, sub)
	}
	res, err := d.Verify.Verify(ctx, subjects)
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	for _, u := range res.Unchecked {
		d.Infof("verify: not checked: %s", u)
	}
	d.Infof("verify: %d service(s) checked with %d read-only call(s): %d problem(s)", len(subjects), res.Calls, len(res.Problems))
	var errs []error
	for _, p := range res.Problems {
		errs = append(errs, errors.New("verify: "+p.String()))
	}
	return errs, nil
}
