package flagsmith

import (
	"context"
	"net/http"
	"strconv"
)

// futurePath is the feature-state resource of the `__future__` API, beside …/api/v1/.
func futurePath(envKey string, featureID int) string {
	return "../__future__/environments/" + envKey + "/features/" + strconv.Itoa(featureID) + "/"
}

// FeatureState reads the feature's default and segment overrides in the environment.
func (c *Client) FeatureState(ctx context.Context, envKey string, featureID int) (FeatureState, error) {
	var s FeatureState
	err := c.do(ctx, http.MethodGet, futurePath(envKey, featureID), nil, &s)
	return s, err
}

// PatchFeatureState changes the default and/or upserts segment overrides. On a versioned
// environment Flagsmith publishes a new version for it.
func (c *Client) PatchFeatureState(ctx context.Context, envKey string, featureID int, p FeatureStatePatch) (FeatureState, error) {
	var s FeatureState
	err := c.do(ctx, http.MethodPatch, futurePath(envKey, featureID), p, &s)
	return s, err
}

// DeleteOverride removes the segment's override; one that is already gone is success.
func (c *Client) DeleteOverride(ctx context.Context, envKey string, featureID, segmentID int) error {
	err := c.do(ctx, http.MethodDelete, futurePath(envKey, featureID)+"segment-overrides/"+strconv.Itoa(segmentID)+"/", nil, nil)
	if IsNotFound(err) {
		return nil
	}
	return err
}

// CreateSegment creates a segment in its project.
func (c *Client) CreateSegment(ctx context.Context, s Segment) (Segment, error) {
	var out Segment
	err := c.do(ctx, http.MethodPost, "projects/"+strconv.Itoa(s.Project)+"/segments/", s, &out)
	return out, err
}

// UpdateSegment replaces a segment's rules (and name and description).
func (c *Client) UpdateSegment(ctx context.Context, s Segment) (Segment, error) {
	var out Segment
	err := c.do(ctx, http.MethodPut, "projects/"+strconv.Itoa(s.Project)+"/segments/"+strconv.Itoa(s.ID)+"/", s, &out)
	return out, err
}

// DeleteSegment deletes a segment; one that is already gone is success.
func (c *Client) DeleteSegment(ctx context.Context, projectID, segmentID int) error {
	err := c.do(ctx, http.MethodDelete, "projects/"+strconv.Itoa(projectID)+"/segments/"+strconv.Itoa(segmentID)+"/", nil, nil)
	if IsNotFound(err) {
		return nil
	}
	return err
}
