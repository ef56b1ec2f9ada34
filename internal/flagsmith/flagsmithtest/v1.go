package flagsmithtest

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/slipway-actions/slipway/internal/flagsmith"
)

// v1 serves /api/v1/…: projects, environments, features, segments and the stable feature-state
// endpoints.
func (f *Fake) v1(w http.ResponseWriter, r *http.Request, p []string) {
	get := r.Method == http.MethodGet
	switch {
	case len(p) == 1 && p[0] == "projects" && get:
		reply(w, http.StatusOK, append([]flagsmith.Project{}, f.projects...)) // a plain array: this list is not paginated
	case len(p) == 1 && p[0] == "environments" && get:
		f.listEnvironments(w, r)
	case len(p) >= 2 && p[0] == "projects":
		f.project(w, r, p[1:])
	case len(p) >= 2 && p[0] == "features" && p[1] == "featurestates":
		f.featureStates(w, r, p[2:])
	case len(p) >= 2 && p[0] == "features" && p[1] == "feature-segments":
		f.featureSegments(w, r, p[2:])
	case len(p) == 5 && p[0] == "environments" && p[2] == "features" && p[4] == "create-segment-override" && r.Method == http.MethodPost:
		f.createSegmentOverride(w, r, p[1], p[3])
	case len(p) == 5 && p[0] == "environments" && p[2] == "features" && p[4] == "versions" && r.Method == http.MethodPost:
		f.createVersion(w, r, p[1], p[3])
	case len(p) == 3 && p[0] == "environments" && p[2] == "create-change-request" && r.Method == http.MethodPost:
		f.createChangeRequest(w, r, p[1])
	case len(p) >= 4 && p[0] == "features" && p[1] == "workflows" && p[2] == "change-requests":
		f.changeRequestAPI(w, r, p[3:])
	default:
		notFoundPage(w)
	}
}

func (f *Fake) listEnvironments(w http.ResponseWriter, r *http.Request) {
	project, err := strconv.Atoi(r.URL.Query().Get("project"))
	if err != nil {
		fieldError(w, "project", "This field is required.")
		return
	}
	out := []flagsmith.Environment{}
	for _, e := range f.envs {
		if e.Project == project {
			out = append(out, e)
		}
	}
	page(f, w, r, out)
}

func (f *Fake) project(w http.ResponseWriter, r *http.Request, p []string) {
	id, _ := strconv.Atoi(p[0])
	i := slices.IndexFunc(f.projects, func(x flagsmith.Project) bool { return x.ID == id })
	if i < 0 {
		detail(w, http.StatusNotFound, "No Project matches the given query.")
		return
	}
	switch {
	case len(p) == 1 && r.Method == http.MethodGet:
		reply(w, http.StatusOK, f.projects[i])
	case len(p) == 2 && p[1] == "features" && r.Method == http.MethodGet:
		q := strings.ToLower(r.URL.Query().Get("search"))
		out := []flagsmith.Feature{}
		for _, ft := range f.features {
			if ft.project == id && strings.Contains(strings.ToLower(ft.Name), q) {
				out = append(out, ft.Feature)
			}
		}
		page(f, w, r, out)
	case len(p) >= 2 && p[1] == "segments":
		f.segmentsAPI(w, r, id, p[2:])
	default:
		notFoundPage(w)
	}
}

// validSegment checks a segment body the way Flagsmith's serializer does, in DRF's error shape.
func validSegment(s flagsmith.Segment) map[string]any {
	errs := map[string]any{}
	if strings.TrimSpace(s.Name) == "" {
		errs["name"] = []string{"This field may not be blank."}
	}
	if len(s.Rules) == 0 {
		errs["rules"] = []string{"Segment cannot be created without any rules."}
	}
	var walk func([]flagsmith.Rule)
	walk = func(rules []flagsmith.Rule) {
		for _, rule := range rules {
			for _, c := range rule.Conditions {
				if c.Operator == flagsmith.OpPercentSplit {
					v, err := strconv.ParseFloat(c.Value, 64)
					if err != nil || v < 0 || v > 100 {
						errs["rules"] = []map[string][]string{{"value": {"Percentage split value must be a number from 0 to 100."}}}
					}
				}
			}
			walk(rule.Rules)
		}
	}
	walk(s.Rules)
	if len(errs) == 0 {
		return nil
	}
	return errs
}

// readSegment decodes and validates a segment body, answering 400 when it is not one.
func readSegment(w http.ResponseWriter, r *http.Request) (flagsmith.Segment, bool) {
	var s flagsmith.Segment
	if !decode(w, r, &s) {
		return s, false
	}
	if errs := validSegment(s); errs != nil {
		reply(w, http.StatusBadRequest, errs)
		return s, false
	}
	return s, true
}

func (f *Fake) segmentsAPI(w http.ResponseWriter, r *http.Request, project int, p []string) {
	if len(p) == 0 {
		switch r.Method {
		case http.MethodGet:
			q := strings.ToLower(r.URL.Query().Get("q"))
			out := []flagsmith.Segment{}
			for _, s := range f.segments {
				if s.Project == project && strings.Contains(strings.ToLower(s.Name), q) {
					out = append(out, s)
				}
			}
			page(f, w, r, out)
		case http.MethodPost:
			s, ok := readSegment(w, r)
			if !ok {
				return
			}
			s.ID, s.Project = f.id(), project
			f.segments = append(f.segments, s)
			reply(w, http.StatusCreated, s)
		default:
			detail(w, http.StatusMethodNotAllowed, `Method "`+r.Method+`" not allowed.`)
		}
		return
	}
	id, _ := strconv.Atoi(p[0])
	i := f.segmentIndex(project, id)
	if i < 0 || len(p) > 1 {
		detail(w, http.StatusNotFound, "No Segment matches the given query.")
		return
	}
	switch r.Method {
	case http.MethodGet:
		reply(w, http.StatusOK, f.segments[i])
	case http.MethodPut:
		s, ok := readSegment(w, r)
		if !ok {
			return
		}
		s.ID, s.Project = id, project
		f.segments[i] = s
		reply(w, http.StatusOK, s)
	case http.MethodDelete:
		f.segments = slices.Delete(f.segments, i, i+1)
		// Deleting a segment deletes its overrides (feature segments) in every environment.
		for _, fl := range f.flags {
			fl.remove(id)
		}
		w.WriteHeader(http.StatusNoContent)
	default:
		detail(w, http.StatusMethodNotAllowed, `Method "`+r.Method+`" not allowed.`)
	}
}
