package githubtest

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
)

// SourceCommit is the commit of github/rest-api-description whose
// descriptions/api.github.com/api.github.com.yaml the contract is copied from.
const SourceCommit = "0000036e42b5e7121c2b1ac244cb7bba1d2f3914"

// contractYAML is the part of GitHub's REST API description that slipway calls; its header says
// where it comes from and what was left out.
//
//go:embed testdata/github-openapi.yaml
var contractYAML []byte

// Contract is GitHub's OpenAPI description, loaded and validated by kin-openapi, with a router that
// finds an exchange's operation by method and path under the API's root (api.github.com's /, or
// GitHub Enterprise Server's /api/v3).
type Contract struct {
	doc    *openapi3.T
	router routers.Router
}

// LoadContract returns the contract in testdata; it is loaded once.
var LoadContract = sync.OnceValues(func() (*Contract, error) {
	doc, err := openapi3.NewLoader().LoadFromData(contractYAML)
	if err != nil {
		return nil, fmt.Errorf("github contract: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("github contract: %w", err)
	}
	doc.Servers = nil // the fake is not api.github.com; the root is cut off the path before routing
	router, err := legacy.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("github contract: %w", err)
	}
	return &Contract{doc: doc, router: router}, nil
})

// CheckRequest checks a request (its path relative to the API's root) against the description: an
// operation for its method and path, its parameters and its JSON body. It returns the operation's id.
func (c *Contract) CheckRequest(req *http.Request, body []byte) (string, error) {
	in, err := c.input(req, body)
	if err != nil {
		return "", err
	}
	err = openapi3filter.ValidateRequest(req.Context(), in)
	return in.Route.Operation.OperationID, describe(req, "request", err)
}

// CheckResponse checks GitHub's answer to req: a status the operation lists must come with a body
// and headers its schema allows. GitHub's description does not list every error an operation can
// answer (checks/create lists no 403), so an unlisted status is checked only by the caller.
func (c *Contract) CheckResponse(req *http.Request, reqBody []byte, status int, header http.Header, body []byte) error {
	in, err := c.input(req, reqBody)
	if err != nil {
		return err
	}
	err = openapi3filter.ValidateResponse(req.Context(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: status, Header: header, Body: io.NopCloser(bytes.NewReader(body)),
		Options: &openapi3filter.Options{MultiError: true},
	})
	return describe(req, fmt.Sprintf("answer %d", status), err)
}

// CheckSchema checks a JSON value against one of the description's component schemas, for
// answers the operations do not list (a 403 or 429 is a basic-error).
func (c *Contract) CheckSchema(name string, value any) error {
	ref := c.doc.Components.Schemas[name]
	if ref == nil {
		return fmt.Errorf("github contract: no schema %q", name)
	}
	return ref.Value.VisitJSON(value)
}

func (c *Contract) input(req *http.Request, body []byte) (*openapi3filter.RequestValidationInput, error) {
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: GitHub's REST API has no such operation (%v)", req.Method, req.URL.Path, err)
	}
	r := req.Clone(req.Context())
	r.Body = io.NopCloser(bytes.NewReader(body))
	return &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route,
		Options: &openapi3filter.Options{MultiError: true}}, nil
}

func describe(req *http.Request, what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s %s: the %s is not what GitHub's REST API description allows: %w", req.Method, req.URL.RequestURI(), what, err)
}

// Checker checks exchanges against the contract, reports what the description does not allow and
// remembers which operations it saw.
type Checker struct {
	contract *Contract
	report   func(error)
	mu       sync.Mutex
	seen     map[string]bool
}

// NewChecker returns a Checker that calls report with every violation (t.Error, in a test).
func NewChecker(report func(error)) (*Checker, error) {
	c, err := LoadContract()
	if err != nil {
		return nil, err
	}
	return &Checker{contract: c, report: report, seen: map[string]bool{}}, nil
}

// Operations returns the ids of the operations seen so far, sorted.
func (k *Checker) Operations() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	var ids []string
	for id := range k.seen {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// Handler checks every request next is asked (r.URL.Path relative to the API's root) and every
// answer it gives. A request the description does not allow is answered 422, as GitHub answers a
// body it cannot process, without reaching next.
func (k *Checker) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := drain(&r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		id, err := k.contract.CheckRequest(r, body)
		if id != "" {
			k.mu.Lock()
			k.seen[id] = true
			k.mu.Unlock()
		}
		if err != nil {
			k.report(err)
			reply(w, http.StatusUnprocessableEntity, map[string]any{"message": "Invalid request.", "documentation_url": "https://docs.github.com/rest"})
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		if err := k.contract.CheckResponse(r, body, rec.Code, rec.Header(), rec.Body.Bytes()); err != nil {
			k.report(err)
		}
		for key, v := range rec.Header() {
			w.Header()[key] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	})
}

func drain(body *io.ReadCloser) ([]byte, error) {
	if *body == nil || *body == http.NoBody {
		return nil, nil
	}
	defer (*body).Close()
	return io.ReadAll(*body)
}

func reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
