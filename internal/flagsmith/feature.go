package flagsmith

import (
	"context"
)

// featureAPI reads and writes a flag's state in one environment through one family of endpoints:
// Flagsmith's `__future__` endpoint where the server has it, the stable ones where it does not.
type featureAPI interface {
	read(ctx context.Context, c *Client, env Environment, featureID int) (FeatureState, error)
	write(ctx context.Context, c *Client, env Environment, featureID int, ch FeatureChange) error
	endpoints(env Environment) string
}

// ReadFeature reads what the flag serves in the environment. The first call decides which
// endpoints the client uses from then on: `__future__`, or the stable ones when the server
// answers that route with 404 (Flagsmith before 2026-08).
func (c *Client) ReadFeature(ctx context.Context, env Environment, featureID int) (FeatureState, error) {
	if api := c.featureAPI(); api != nil {
		return api.read(ctx, c, env, featureID)
	}
	s, err := futureAPI{}.read(ctx, c, env, featureID)
	switch {
	case err == nil:
		c.useAPI(futureAPI{})
	case IsNotFound(err):
		c.useAPI(stableAPI{})
		return stableAPI{}.read(ctx, c, env, featureID)
	}
	return s, err
}

// WriteFeature changes the flag in the environment as ch says; on a versioned environment
// Flagsmith publishes the change as a new version. The `__future__` endpoint writes the default
// and the overrides to set in one request and removes each override with one more; the stable
// ones need a request per object, except in a versioned environment, where one new version
// carries the whole change.
//
// In an environment that requires change requests it writes nothing and returns a
// *ChangeRequestsRequiredError: Flagsmith's `__future__` endpoint refuses such a write (409), but its
// stable endpoints take one from an Organisation API key (FeatureStatePermissions in
// api/features/permissions.py checks permissions, not change requests), which would bypass the
// approvals. CreateChangeRequest is the way there.
func (c *Client) WriteFeature(ctx context.Context, env Environment, featureID int, ch FeatureChange) error {
	if ch.Empty() {
		return nil
	}
	if env.RequiresChangeRequests() {
		return &ChangeRequestsRequiredError{env}
	}
	if c.featureAPI() == nil {
		if _, err := c.ReadFeature(ctx, env, featureID); err != nil {
			return err
		}
	}
	return c.featureAPI().write(ctx, c, env, featureID, ch)
}

// Endpoints says which endpoints the client reads and writes the environment's feature states
// through, for the log; empty before the first ReadFeature.
func (c *Client) Endpoints(env Environment) string {
	if api := c.featureAPI(); api != nil {
		return api.endpoints(env)
	}
	return ""
}

func (c *Client) featureAPI() featureAPI {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.api
}

func (c *Client) useAPI(api featureAPI) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.api = api
}
