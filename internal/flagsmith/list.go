package flagsmith

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
)

// list reads every page of a list endpoint. Flagsmith answers some lists as a plain JSON array
// and others as {count, next, previous, results} (and some have changed from one to the other
// between versions); next is followed on the API's own host only, so the key is never sent elsewhere.
func list[T any](ctx context.Context, c *Client, ref string) ([]T, error) {
	var all []T
	for ref != "" {
		var raw json.RawMessage
		if err := c.do(ctx, http.MethodGet, ref, nil, &raw); err != nil {
			return nil, err
		}
		if t := bytes.TrimSpace(raw); len(t) > 0 && t[0] == '[' {
			var items []T
			if err := json.Unmarshal(t, &items); err != nil {
				return nil, err
			}
			return append(all, items...), nil
		}
		var page struct {
			Next    *string `json:"next"`
			Results []T     `json:"results"`
		}
		if err := json.Unmarshal(raw, &page); err != nil {
			return nil, err
		}
		all = append(all, page.Results...)
		ref = ""
		if page.Next != nil && *page.Next != "" {
			next, err := url.Parse(*page.Next)
			if err != nil {
				return nil, fmt.Errorf("flagsmith: bad next page %q: %w", *page.Next, err)
			}
			// Same path and query on our base: a proxy may rewrite the host or scheme.
			ref = (&url.URL{Path: next.Path, RawQuery: next.RawQuery}).String()
		}
	}
	return all, nil
}
