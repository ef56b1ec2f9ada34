package flagsmith

import (
	"context"
	"net/http"
	"strconv"
)

// segmentWrite is the writable part of a Segment: its id and project are read-only, the project
// being in the path.
type segmentWrite struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Rules       []Rule `json:"rules"`
}

func segmentsPath(projectID int) string { return "projects/" + strconv.Itoa(projectID) + "/segments/" }

// CreateSegment creates a segment in its project.
func (c *Client) CreateSegment(ctx context.Context, s Segment) (Segment, error) {
	var out Segment
	err := c.do(ctx, http.MethodPost, segmentsPath(s.Project), segmentWrite{s.Name, s.Description, s.Rules}, &out)
	return out, err
}

// UpdateSegment replaces a segment's rules (and name and description).
func (c *Client) UpdateSegment(ctx context.Context, s Segment) (Segment, error) {
	var out Segment
	err := c.do(ctx, http.MethodPut, segmentsPath(s.Project)+strconv.Itoa(s.ID)+"/", segmentWrite{s.Name, s.Description, s.Rules}, &out)
	return out, err
}

// DeleteSegment deletes a segment, and with it its overrides in every environment; one that is
// already gone is success.
func (c *Client) DeleteSegment(ctx context.Context, projectID, segmentID int) error {
	err := c.do(ctx, http.MethodDelete, segmentsPath(projectID)+strconv.Itoa(segmentID)+"/", nil, nil)
	if IsNotFound(err) {
		return nil
	}
	return err
}
