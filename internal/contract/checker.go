package contract

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
)

// Checker checks exchanges against a document, reports what it does not allow and remembers
// which operations it saw.
type Checker struct {
	doc    *Document
	report func(error)
	mu     sync.Mutex
	seen   map[string]bool
}

// NewChecker returns a Checker that calls report with every violation (t.Error, in a test).
func NewChecker(doc *Document, report func(error)) *Checker {
	return &Checker{doc: doc, report: report, seen: map[string]bool{}}
}

// Document returns the document the checker checks against.
func (k *Checker) Document() *Document { return k.doc }

// Report reports a violation the caller found itself (a path outside the API, an error answer).
func (k *Checker) Report(err error) { k.report(err) }

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
	id, err := k.doc.CheckRequest(req, body)
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
	if err := k.doc.CheckResponse(req, reqBody, status, header, body); err != nil {
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

// Handler checks every request next is asked (its path relative to the API's root) and every
// answer it gives. A request the document does not allow is answered by Vendor.Refuse, without
// reaching next.
func (k *Checker) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := drain(&r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if !k.request(r, body) {
			k.doc.vendor.Refuse(w)
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
