package awstest

import (
	"context"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"
)

// Recorder counts the operations the SDK's clients send, by "Service.Operation", through a
// middleware on every client built from the config it records: what a run called, as the SDK
// itself names it, whichever wire protocol the service speaks (JSON, query, REST).
type Recorder struct {
	mu  sync.Mutex
	ops map[string]int
}

// Record adds the recording middleware to cfg's APIOptions and returns cfg.
func (r *Recorder) Record(cfg aws.Config) aws.Config {
	cfg.APIOptions = append(cfg.APIOptions, func(stack *middleware.Stack) error {
		return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("slipwayRecorder",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				r.Observe(awsmiddleware.GetServiceID(ctx) + "." + awsmiddleware.GetOperationName(ctx))
				return next.HandleInitialize(ctx, in)
			}), middleware.After)
	})
	return cfg
}

// Observe counts op ("Service.Operation"): the hook for clients written by hand rather than
// generated, such as preflight.EC2, which have no middleware stack.
func (r *Recorder) Observe(op string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ops == nil {
		r.ops = map[string]int{}
	}
	r.ops[op]++
}

// Ops is a copy of the counts so far.
func (r *Recorder) Ops() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]int{}
	for k, v := range r.ops {
		out[k] = v
	}
	return out
}

// Mutating lists the recorded operations that may change something: every one whose name does not
// begin with Get, Describe, List or BatchGet (AWS's naming of read-only calls).
func (r *Recorder) Mutating() []string {
	var out []string
	for op := range r.Ops() {
		name := op[strings.LastIndex(op, ".")+1:]
		read := false
		for _, p := range []string{"Get", "Describe", "List", "BatchGet"} {
			read = read || strings.HasPrefix(name, p)
		}
		if !read {
			out = append(out, op)
		}
	}
	return out
}
