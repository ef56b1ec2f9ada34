package flagsmith

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/agnivade/levenshtein"
)

// NotFoundError says a name matched nothing, and which names are close.
type NotFoundError struct {
	Kind, Name string
	Close      []string
}

func (e *NotFoundError) Error() string {
	msg := fmt.Sprintf("%s %q not found", e.Kind, e.Name)
	if len(e.Close) > 0 {
		msg += "; close names: " + strings.Join(e.Close, ", ")
	}
	return msg
}

// Project finds a project by id or exact name.
func (c *Client) Project(ctx context.Context, idOrName string) (Project, error) {
	if id, err := strconv.Atoi(idOrName); err == nil {
		var p Project
		err := c.do(ctx, http.MethodGet, "projects/"+strconv.Itoa(id)+"/", nil, &p)
		if IsNotFound(err) {
			return p, &NotFoundError{Kind: "project", Name: idOrName}
		}
		return p, err
	}
	all, err := list[Project](ctx, c, "projects/")
	if err != nil {
		return Project{}, err
	}
	return pick("project", idOrName, all, func(p Project) []string { return []string{p.Name} })
}

// Environments lists the environments of the project.
func (c *Client) Environments(ctx context.Context, projectID int) ([]Environment, error) {
	return list[Environment](ctx, c, "environments/?project="+strconv.Itoa(projectID))
}

// Environment finds an environment of the project by API key or exact name.
func (c *Client) Environment(ctx context.Context, projectID int, keyOrName string) (Environment, error) {
	all, err := c.Environments(ctx, projectID)
	if err != nil {
		return Environment{}, err
	}
	return FindEnvironment(all, keyOrName)
}

// FindEnvironment picks an environment by API key or exact name.
func FindEnvironment(all []Environment, keyOrName string) (Environment, error) {
	return pick("environment", keyOrName, all, func(e Environment) []string { return []string{e.APIKey, e.Name} })
}

// Feature finds a feature of the project by exact name. The search filter matches substrings,
// so the exact name is picked from its results; all features are listed only to suggest names.
func (c *Client) Feature(ctx context.Context, projectID int, name string) (Feature, error) {
	base := "projects/" + strconv.Itoa(projectID) + "/features/"
	found, err := list[Feature](ctx, c, base+"?search="+url.QueryEscape(name))
	if err != nil {
		return Feature{}, err
	}
	if f, err := pick("feature", name, found, featureName); err == nil {
		return f, nil
	}
	all, err := list[Feature](ctx, c, base)
	if err != nil {
		return Feature{}, err
	}
	return pick("feature", name, all, featureName)
}

func featureName(f Feature) []string { return []string{f.Name} }

// Segment finds a segment of the project by exact name; nil when there is none. The q filter is
// a substring match, so "rollout-a" also returns "rollout-ab".
func (c *Client) Segment(ctx context.Context, projectID int, name string) (*Segment, error) {
	found, err := list[Segment](ctx, c, "projects/"+strconv.Itoa(projectID)+"/segments/?q="+url.QueryEscape(name))
	if err != nil {
		return nil, err
	}
	s, err := pick("segment", name, found, func(s Segment) []string { return []string{s.Name} })
	var nf *NotFoundError
	if errors.As(err, &nf) {
		return nil, nil // absent is an answer, not a failure
	}
	if err != nil {
		return nil, err
	}
	return &s, nil
}

// pick returns the one item whose keys include name exactly; otherwise a NotFoundError with the
// closest names, or an error when the name is ambiguous.
func pick[T any](kind, name string, items []T, keys func(T) []string) (T, error) {
	var hits []T
	for _, it := range items {
		if slices.Contains(keys(it), name) {
			hits = append(hits, it)
		}
	}
	var zero T
	switch len(hits) {
	case 1:
		return hits[0], nil
	case 0:
		var names []string
		for _, it := range items {
			names = append(names, keys(it)[len(keys(it))-1])
		}
		return zero, &NotFoundError{Kind: kind, Name: name, Close: closeNames(name, names)}
	default:
		return zero, fmt.Errorf("%s %q is ambiguous: %d match; use the id or key", kind, name, len(hits))
	}
}

// closeNames returns up to five names that contain the wanted one (ignoring case) or are a few
// edits away, nearest first.
func closeNames(want string, names []string) []string {
	type scored struct {
		name string
		d    int
	}
	var hits []scored
	lw := strings.ToLower(want)
	for _, n := range names {
		ln := strings.ToLower(n)
		d := levenshtein.ComputeDistance(lw, ln)
		if strings.Contains(ln, lw) || strings.Contains(lw, ln) || d <= max(2, len(want)/3) {
			hits = append(hits, scored{n, d})
		}
	}
	slices.SortStableFunc(hits, func(a, b scored) int { return a.d - b.d })
	var out []string
	for _, h := range hits {
		if !slices.Contains(out, h.name) && len(out) < 5 {
			out = append(out, h.name)
		}
	}
	return out
}
