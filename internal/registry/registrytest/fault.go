package registrytest

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// Proxy stands in front of a registry: it forwards everything, counts the blob bytes uploaded
// through it, and injects the faults a test asks for.
type Proxy struct {
	Host string // 127.0.0.1:port of the proxy
	srv  *httptest.Server

	mu            sync.Mutex
	throttle      int // blob uploads still to answer 429
	resets        int // blob uploads still to cut off mid-body
	failManifests int // manifest PUTs still to answer 503
	uploaded      int64
	faults        []string
}

// NewProxy proxies to the registry at host until the test ends.
func NewProxy(t testing.TB, host string) *Proxy {
	p := Listen(host)
	t.Cleanup(p.srv.Close)
	return p
}

// Listen proxies to the registry at host; the caller closes it.
func Listen(host string) *Proxy {
	target := &url.URL{Scheme: "http", Host: host}
	p := &Proxy{}
	rp := httputil.NewSingleHostReverseProxy(target)
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		upload := strings.Contains(r.URL.Path, "/blobs/uploads/") && (r.Method == http.MethodPatch || r.Method == http.MethodPut)
		manifest := strings.Contains(r.URL.Path, "/manifests/") && r.Method == http.MethodPut
		p.mu.Lock()
		switch {
		case upload && p.throttle > 0:
			p.throttle--
			p.faults = append(p.faults, "429 "+r.Method)
			p.mu.Unlock()
			_, _ = io.Copy(io.Discard, r.Body)
			w.Header().Set("Retry-After", "0")
			http.Error(w, `{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}`, http.StatusTooManyRequests)
			return
		case upload && p.resets > 0 && r.ContentLength != 0:
			p.resets--
			p.faults = append(p.faults, "reset "+r.Method)
			p.mu.Unlock()
			_, _ = io.CopyN(io.Discard, r.Body, 512) // part of the layer arrived, then the connection drops
			if hj, ok := w.(http.Hijacker); ok {
				if c, _, err := hj.Hijack(); err == nil {
					if tc, ok := c.(*net.TCPConn); ok {
						_ = tc.SetLinger(0) // RST, not FIN
					}
					_ = c.Close()
					return
				}
			}
			panic(http.ErrAbortHandler)
		case manifest && p.failManifests > 0:
			p.failManifests--
			p.faults = append(p.faults, "503 manifest")
			p.mu.Unlock()
			http.Error(w, `{"errors":[{"code":"UNAVAILABLE","message":"try again"}]}`, http.StatusServiceUnavailable)
			return
		}
		p.mu.Unlock()
		if upload {
			r.Body = &countingBody{ReadCloser: r.Body, p: p}
		}
		rp.ServeHTTP(w, r)
	}))
	p.Host = strings.TrimPrefix(p.srv.URL, "http://")
	return p
}

// Throttle answers the next n blob uploads with 429 and Retry-After: 0.
func (p *Proxy) Throttle(n int) { p.mu.Lock(); p.throttle = n; p.mu.Unlock() }

// ResetMidUpload cuts the connection of the next n blob uploads after part of the body.
func (p *Proxy) ResetMidUpload(n int) { p.mu.Lock(); p.resets = n; p.mu.Unlock() }

// FailManifests answers the next n manifest PUTs with 503.
func (p *Proxy) FailManifests(n int) { p.mu.Lock(); p.failManifests = n; p.mu.Unlock() }

// Close takes the proxy down: the registry behind it becomes unreachable.
func (p *Proxy) Close() { p.srv.CloseClientConnections(); p.srv.Close() }

// Uploaded is the number of blob bytes that went through the proxy.
func (p *Proxy) Uploaded() int64 { p.mu.Lock(); defer p.mu.Unlock(); return p.uploaded }

// ResetUploaded sets the byte count back to zero.
func (p *Proxy) ResetUploaded() { p.mu.Lock(); p.uploaded = 0; p.mu.Unlock() }

// Faults lists the faults injected so far.
func (p *Proxy) Faults() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.faults...)
}

type countingBody struct {
	io.ReadCloser
	p *Proxy
}

func (c *countingBody) Read(b []byte) (int, error) {
	n, err := c.ReadCloser.Read(b)
	c.p.mu.Lock()
	c.p.uploaded += int64(n)
	c.p.mu.Unlock()
	return n, err
}
