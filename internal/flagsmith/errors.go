package flagsmith

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
)

// APIError is a response Flagsmith gave that was not a success.
type APIError struct {
	Method, Path string
	Status       int
	Detail       string // DRF's detail or field errors, flattened
	Code         string // DRF's error code, when the body has one (e.g. change_requests_enabled)
}

func (e *APIError) Error() string {
	msg := fmt.Sprintf("flagsmith %s %s: %d %s", e.Method, e.Path, e.Status, http.StatusText(e.Status))
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	switch {
	case e.Status == http.StatusUnauthorized:
		msg += ` — check that "api-key" is a valid Organisation API key`
	case e.Status == http.StatusForbidden:
		msg += ` — the "api-key" is valid but may not do this; an Organisation API key of the project's organisation can`
	case e.Status == http.StatusConflict && e.Code == "change_requests_enabled":
		msg += ` — the environment requires change requests (its minimum_change_request_approvals setting): ` +
			`turn them off in the environment's settings, or release this flag through a change request`
	}
	return msg
}

// IsNotFound reports whether err is a 404 from Flagsmith.
func IsNotFound(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Status == http.StatusNotFound
}

// drfDetail flattens a Django REST framework error body: {"detail": "..."}, {"field": ["..."]},
// or a list of messages. Anything else is cut short and returned as text.
func drfDetail(data []byte) string {
	var detail struct {
		Detail string `json:"detail"`
	}
	if json.Unmarshal(data, &detail) == nil && detail.Detail != "" {
		return detail.Detail
	}
	var fields map[string]any
	if json.Unmarshal(data, &fields) == nil && len(fields) > 0 {
		var parts []string
		for k, v := range fields {
			parts = append(parts, k+": "+flatten(v))
		}
		sort.Strings(parts)
		return strings.Join(parts, "; ")
	}
	var list []any
	if json.Unmarshal(data, &list) == nil && len(list) > 0 {
		return flatten(list)
	}
	s := strings.TrimSpace(string(data))
	if _, rest, ok := strings.Cut(s, "<title>"); ok && strings.HasPrefix(s, "<") {
		title, _, _ := strings.Cut(rest, "</title>")
		if title = strings.TrimSpace(title); len(title) > 100 {
			title = title[:100] + "…"
		}
		return title + " (an HTML page, not the API's answer)" // Django's error pages
	}
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// drfCode is the "code" beside a DRF detail, as Flagsmith's own exceptions send it.
func drfCode(data []byte) string {
	var body struct {
		Code string `json:"code"`
	}
	if json.Unmarshal(data, &body) != nil {
		return ""
	}
	return body.Code
}

func flatten(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case []any:
		var parts []string
		for _, e := range v {
			if s := flatten(e); s != "" {
				parts = append(parts, s)
			}
		}
		return strings.Join(parts, " ")
	case map[string]any:
		var parts []string
		for k, e := range v {
			parts = append(parts, k+": "+flatten(e))
		}
		sort.Strings(parts)
		return "{" + strings.Join(parts, "; ") + "}"
	default:
		b, _ := json.Marshal(v)
		return string(b)
	}
}
