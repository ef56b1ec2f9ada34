package awstest

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// The AWS JSON 1.1 protocol, as the fakes of ECS and CodeDeploy speak it: a POST whose
// X-Amz-Target header names "Service_Version.Operation", a JSON body, and errors answered with
// {"__type", "message"} (https://smithy.io/2.0/aws/protocols/aws-json-1_1-protocol.html).

// Call is one call a fake took: its operation, when it arrived and its JSON input.
type Call struct {
	Op    string
	At    time.Time
	Input map[string]any
}

// Calls is the log of the calls a fake took, with channels a test can wait on.
type Calls struct {
	mu      sync.Mutex
	counts  map[string]int
	log     []Call
	waiters []waiter
}

// waiter is a Reached channel, closed once op has been called n times.
type waiter struct {
	op string
	n  int
	ch chan struct{}
}

// Record logs a call of op as it arrives and wakes the Reached channels it completes.
func (c *Calls) Record(op string, in map[string]any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.counts == nil {
		c.counts = map[string]int{}
	}
	c.counts[op]++
	c.log = append(c.log, Call{Op: op, At: time.Now(), Input: in})
	c.waiters = slices.DeleteFunc(c.waiters, func(w waiter) bool {
		if w.op == op && c.counts[op] >= w.n {
			close(w.ch)
			return true
		}
		return false
	})
}

// Count returns how many times op has been called.
func (c *Calls) Count(op string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.counts[op]
}

// Counts returns the number of calls of each operation.
func (c *Calls) Counts() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]int{}
	for k, v := range c.counts {
		out[k] = v
	}
	return out
}

// List returns the calls, in order; with ops, only the calls of those operations.
func (c *Calls) List(ops ...string) []Call {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []Call
	for _, r := range c.log {
		if len(ops) == 0 || slices.Contains(ops, r.Op) {
			out = append(out, r)
		}
	}
	return out
}

// Reached returns a channel closed once op has been called n times in all (as each call arrives).
func (c *Calls) Reached(op string, n int) <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan struct{})
	if c.counts[op] >= n {
		close(ch)
		return ch
	}
	c.waiters = append(c.waiters, waiter{op, n, ch})
	return ch
}

// ReadCall reads a JSON 1.1 request: the service and operation its X-Amz-Target names, and its
// body. A body that is not JSON is answered with a SerializationException, and ok is false.
func ReadCall(w http.ResponseWriter, r *http.Request) (service, op string, in map[string]any, ok bool) {
	service, op, _ = strings.Cut(r.Header.Get("X-Amz-Target"), ".")
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		JSONError(w, "SerializationException", err.Error())
		return "", "", nil, false
	}
	return service, op, in, true
}

// Signed reports whether r carries a SigV4 signature; if not, it answers 403 with a
// MissingAuthenticationTokenException, as AWS answers an unsigned request.
func Signed(w http.ResponseWriter, r *http.Request) bool {
	if strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
		return true
	}
	w.WriteHeader(http.StatusForbidden)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": "MissingAuthenticationTokenException", "message": "Missing Authentication Token"})
	return false
}

// JSONError answers an AWS error of type typ (HTTP 400).
func JSONError(w http.ResponseWriter, typ, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(http.StatusBadRequest)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": typ, "message": msg})
}

// JSONReply answers an operation's output.
func JSONReply(w http.ResponseWriter, out any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(out)
}
