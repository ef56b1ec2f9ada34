package contract

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
)

// Vendor is what differs between vendors' documents and how their fakes check against them.
type Vendor struct {
	Name     string // prefixes load errors: "github" → "github contract: …"
	API      string // names the API in messages: "GitHub's REST API"
	Document string // names the document in messages: "GitHub's REST API description"

	// Authenticate checks a request's credentials for the operation's security schemes; nil
	// leaves them unchecked.
	Authenticate openapi3filter.AuthenticationFunc
	// SuccessesOnly leaves answers outside 2xx unchecked, for a document that describes no errors.
	SuccessesOnly bool
	// ListedStatus refuses an answer whose status the operation does not list.
	ListedStatus bool
	// Refuse answers a request the document does not allow, as the vendor would.
	Refuse func(http.ResponseWriter)
}

// Document is a vendor's OpenAPI document, loaded and validated by kin-openapi, with a router that
// finds an exchange's operation by method and path (on any host).
type Document struct {
	vendor Vendor
	doc    *openapi3.T
	router routers.Router
	memo   sync.Map // exchange → its result: kin-openapi compiles a schema for every validation
}

// Load parses and validates data, an OpenAPI 3.0 document (or a 3.1 one that kin-openapi accepts).
func Load(data []byte, v Vendor) (*Document, error) {
	doc, err := openapi3.NewLoader().LoadFromData(data)
	if err != nil {
		return nil, fmt.Errorf("%s contract: %w", v.Name, err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("%s contract: %w", v.Name, err)
	}
	doc.Servers = nil // a fake (or a self-hosted server) is not the vendor's host
	router, err := legacy.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("%s contract: %w", v.Name, err)
	}
	return &Document{vendor: v, doc: doc, router: router}, nil
}

// CheckRequest checks a request against the document: an operation for its method and path, its
// parameters, its body (req.Body is not read; body is what it held) and, if the vendor says how,
// its credentials. It returns the operation's id.
func (d *Document) CheckRequest(req *http.Request, body []byte) (string, error) {
	type result struct {
		id  string
		err error
	}
	key := requestKey(req, body)
	if r, ok := d.memo.Load(key); ok {
		return r.(result).id, r.(result).err
	}
	id, err := d.checkRequest(req, body)
	d.memo.Store(key, result{id, err})
	return id, err
}

func (d *Document) checkRequest(req *http.Request, body []byte) (string, error) {
	in, err := d.input(req, body)
	if err != nil {
		return "", err
	}
	err = openapi3filter.ValidateRequest(req.Context(), in)
	return in.Route.Operation.OperationID, d.describe(req, "request", err)
}

// CheckResponse checks the vendor's answer to req: a status the operation lists must come with
// headers and a body its schema allows (see Vendor.SuccessesOnly and Vendor.ListedStatus).
func (d *Document) CheckResponse(req *http.Request, reqBody []byte, status int, header http.Header, body []byte) error {
	if d.vendor.SuccessesOnly && (status < 200 || status > 299) {
		return nil
	}
	type result struct{ err error }
	key := strings.Join([]string{requestKey(req, reqBody), strconv.Itoa(status), header.Get("Content-Type"), string(body)}, "\x00")
	if r, ok := d.memo.Load(key); ok {
		return r.(result).err
	}
	err := d.checkResponse(req, reqBody, status, header, body)
	d.memo.Store(key, result{err})
	return err
}

// requestKey is everything of a request that its checks depend on.
func requestKey(req *http.Request, body []byte) string {
	return strings.Join([]string{req.Method, req.URL.RequestURI(), req.Header.Get("Content-Type"), req.Header.Get("Authorization"), string(body)}, "\x00")
}

func (d *Document) checkResponse(req *http.Request, reqBody []byte, status int, header http.Header, body []byte) error {
	in, err := d.input(req, reqBody)
	if err != nil {
		return err
	}
	err = openapi3filter.ValidateResponse(req.Context(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: status, Header: header, Body: io.NopCloser(bytes.NewReader(body)),
		Options: &openapi3filter.Options{IncludeResponseStatus: d.vendor.ListedStatus, MultiError: true},
	})
	return d.describe(req, fmt.Sprintf("answer %d", status), err)
}

// CheckSchema checks a JSON value against one of the document's component schemas, for answers
// the operations do not list.
func (d *Document) CheckSchema(name string, value any) error {
	ref := d.doc.Components.Schemas[name]
	if ref == nil {
		return fmt.Errorf("%s contract: no schema %q", d.vendor.Name, name)
	}
	return ref.Value.VisitJSON(value)
}

func (d *Document) input(req *http.Request, body []byte) (*openapi3filter.RequestValidationInput, error) {
	route, params, err := d.router.FindRoute(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %s has no such operation (%v)", req.Method, req.URL.Path, d.vendor.API, err)
	}
	r := req.Clone(req.Context())
	r.Body = io.NopCloser(bytes.NewReader(body))
	return &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: d.vendor.Authenticate, MultiError: true}}, nil
}

func (d *Document) describe(req *http.Request, what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s %s: the %s is not what %s allows: %w", req.Method, req.URL.RequestURI(), what, d.vendor.Document, err)
}
