package flagsmithtest

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
)

// SourceCommit is the commit of Flagsmith/flagsmith whose openapi.yaml the contract is copied from.
const SourceCommit = "1ad8487ba7aabedd3cdfbcf3e7d772784d3e1aae"

// contractYAML is the part of Flagsmith's OpenAPI document that slipway calls; its header says
// where it comes from and how it was converted.
//
//go:embed testdata/flagsmith-openapi.yaml
var contractYAML []byte

// Contract is Flagsmith's OpenAPI document, loaded and validated by kin-openapi, with a router
// that finds an exchange's operation by method and path (on any host).
type Contract struct {
	doc    *openapi3.T
	router routers.Router
	memo   sync.Map // exchange → its result: kin-openapi compiles a schema for every validation
}

// LoadContract returns the contract in testdata; it is loaded once.
var LoadContract = sync.OnceValues(func() (*Contract, error) {
	return parseContract(contractYAML)
})

func parseContract(data []byte) (*Contract, error) {
	doc, err := openapi3.NewLoader().LoadFromData(data)
	if err != nil {
		return nil, fmt.Errorf("flagsmith contract: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("flagsmith contract: %w", err)
	}
	doc.Servers = nil // the fake and self-hosted servers are not api.flagsmith.com
	router, err := legacy.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("flagsmith contract: %w", err)
	}
	return &Contract{doc: doc, router: router}, nil
}

// CheckRequest checks a request against the document: an operation for its method and path, its
// parameters, its body (req.Body is read; body is what it held) and its credentials. It returns
// the operation's id.
func (c *Contract) CheckRequest(req *http.Request, body []byte) (string, error) {
	type result struct {
		id  string
		err error
	}
	key := requestKey(req, body)
	if r, ok := c.memo.Load(key); ok {
		return r.(result).id, r.(result).err
	}
	id, err := c.checkRequest(req, body)
	c.memo.Store(key, result{id, err})
	return id, err
}

func (c *Contract) checkRequest(req *http.Request, body []byte) (string, error) {
	in, err := c.input(req, body)
	if err != nil {
		return "", err
	}
	err = openapi3filter.ValidateRequest(req.Context(), in)
	return in.Route.Operation.OperationID, describe(req, "request", err)
}

// CheckResponse checks Flagsmith's answer to req: a success must have a status the operation lists
// and a body its schema allows. The document describes no error answers, so those are not checked.
func (c *Contract) CheckResponse(req *http.Request, reqBody []byte, status int, header http.Header, body []byte) error {
	if status < 200 || status > 299 {
		return nil
	}
	type result struct{ err error }
	key := strings.Join([]string{requestKey(req, reqBody), strconv.Itoa(status), header.Get("Content-Type"), string(body)}, "\x00")
	if r, ok := c.memo.Load(key); ok {
		return r.(result).err
	}
	err := c.checkResponse(req, reqBody, status, header, body)
	c.memo.Store(key, result{err})
	return err
}

// requestKey is everything of a request that its checks depend on.
func requestKey(req *http.Request, body []byte) string {
	return strings.Join([]string{req.Method, req.URL.RequestURI(), req.Header.Get("Content-Type"), req.Header.Get("Authorization"), string(body)}, "\x00")
}

func (c *Contract) checkResponse(req *http.Request, reqBody []byte, status int, header http.Header, body []byte) error {
	in, err := c.input(req, reqBody)
	if err != nil {
		return err
	}
	err = openapi3filter.ValidateResponse(req.Context(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: status, Header: header, Body: io.NopCloser(bytes.NewReader(body)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	})
	return describe(req, fmt.Sprintf("answer %d", status), err)
}

func (c *Contract) input(req *http.Request, body []byte) (*openapi3filter.RequestValidationInput, error) {
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: Flagsmith's API has no such operation (%v)", req.Method, req.URL.Path, err)
	}
	r := req.Clone(req.Context())
	r.Body = io.NopCloser(bytes.NewReader(body))
	return &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: authenticate, MultiError: true}}, nil
}

func describe(req *http.Request, what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s %s: the %s is not what Flagsmith's OpenAPI document allows: %w", req.Method, req.URL.RequestURI(), what, err)
}

// authenticate checks the credentials' form for the operation's security schemes: an
// Organisation ("Master") API key is "Authorization: Api-Key <key>", a user token "Token <token>".
func authenticate(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	h := in.RequestValidationInput.Request.Header.Get("Authorization")
	prefix := map[string]string{"Master-API-Key": "Api-Key ", "tokenAuth": "Token "}[in.SecuritySchemeName]
	if prefix == "" || !strings.HasPrefix(h, prefix) || len(h) == len(prefix) {
		return fmt.Errorf("no %q credentials", in.SecuritySchemeName)
	}
	return nil
}

// Checker checks exchanges against the contract, reports what the document does not allow and
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

func (k *Checker) request(req *http.Request, body []byte) bool {
	id, err := k.contract.CheckRequest(req, body)
	if id != "" {
		k.mu.Lock()
		k.seen[id] = true
		k.mu.Unlock()
	}
	if err != nil {
		k.report(err)
	}
	return err == nil
}

func (k *Checker) response(req *http.Request, reqBody []byte, status int, header http.Header, body []byte) {
	if err := k.contract.CheckResponse(req, reqBody, status, header, body); err != nil {
		k.report(err)
	}
}

// Transport checks every request a client sends through base and every answer it gets.
func (k *Checker) Transport(base http.RoundTripper) http.RoundTripper {
	return roundTripper(func(req *http.Request) (*http.Response, error) {
		body, err := drain(&req.Body)
		if err != nil {
			return nil, err
		}
		k.request(req, body)
		req.Body = io.NopCloser(bytes.NewReader(body))
		resp, err := base.RoundTrip(req)
		if err != nil {
			return nil, err
		}
		data, err := drain(&resp.Body)
		if err != nil {
			return nil, err
		}
		k.response(req, body, resp.StatusCode, resp.Header, data)
		resp.Body = io.NopCloser(bytes.NewReader(data))
		return resp, nil
	})
}

// Handler checks every request next is asked and every answer it gives. A request the document
// does not allow is answered 400, as Flagsmith's serializers would, without reaching next.
func (k *Checker) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := drain(&r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if !k.request(r, body) {
			reply(w, http.StatusBadRequest, map[string][]string{"non_field_errors": {"The request is not what Flagsmith's OpenAPI document allows."}})
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		k.response(r, body, rec.Code, rec.Header(), rec.Body.Bytes())
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

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
