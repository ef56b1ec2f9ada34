// Command rollout measures how many Flagsmith API requests flag-rollout spends per step of a
// rollout, on the fake Admin API playing each kind of Flagsmith (with and without the `__future__`
// endpoint, with and without feature versioning): the lookup once, then each step's reads and
// writes. Every request and answer is checked against Flagsmith's OpenAPI document on the way.
package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"

	"github.com/slipway-actions/slipway/internal/flagsmith"
	"github.com/slipway-actions/slipway/internal/flagsmith/flagsmithtest"
	"github.com/slipway-actions/slipway/internal/rollout"
)

const goal = 3 // requests per step

func main() {
	steps := []int{1, 5, 25, 50, 100}
	fmt.Printf("flag-rollout, users alice and bob, then %d steps %v, on the fake Flagsmith (goal: ≤ %d requests per step)\n", len(steps), steps, goal)
	worst := 0
	for _, kind := range []struct {
		name              string
		future, versioned bool
	}{
		{"__future__, unversioned", true, false},
		{"__future__, versioning v2", true, true},
		{"stable endpoints (no __future__), unversioned", false, false},
		{"stable endpoints (no __future__), versioning v2", false, true},
	} {
		fmt.Printf("  %s\n", kind.name)
		w, err := measure(kind.future, kind.versioned, steps)
		if err != nil {
			fmt.Fprintf(os.Stderr, "bench/rollout: %s: %v\n", kind.name, err)
			os.Exit(1)
		}
		worst = max(worst, w)
	}
	fmt.Printf("  worst step: %d requests (goal ≤ %d)\n", worst, goal)
	if worst > goal {
		fmt.Fprintf(os.Stderr, "bench/rollout: a step took %d requests, more than the goal of %d\n", worst, goal)
		os.Exit(1)
	}
}

// measure runs the rollout on one kind of server, prints its figures and returns its worst step.
func measure(future, versioned bool, steps []int) (int, error) {
	f := flagsmithtest.New(nil)
	defer f.Close()
	if !future {
		f.WithoutFuture()
	}
	f.PageSize = 100
	p := f.AddProject("web")
	f.AddEnvironment(p, "Production", "prodKey", versioned)
	for i := range 20 {
		f.AddFeature(p, fmt.Sprintf("feature-%02d", i), false)
	}
	f.AddFeature(p, "new-checkout", false)

	// The gate records how many requests the fake had answered when each step was done.
	var marks []int
	gate := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { marks = append(marks, len(f.Requests())) }))
	defer gate.Close()
	c, err := flagsmith.New(f.URL, f.Key)
	if err != nil {
		return 0, err
	}
	res, err := rollout.Run(context.Background(), c, rollout.Config{Project: "web", Environment: "Production", Feature: "new-checkout",
		Users: []string{"alice", "bob"}, Steps: steps, Gate: rollout.Gate{URL: gate.URL}}, func(string, ...any) {})
	if err != nil {
		return 0, err
	}
	if v := f.Violations(); len(v) > 0 {
		return 0, fmt.Errorf("%d exchanges Flagsmith's OpenAPI document does not allow, the first: %v", len(v), v[0])
	}
	reqs := f.Requests()
	lookup := 0
	for lookup < len(reqs) && reqs[lookup].Method == http.MethodGet {
		lookup++
	}
	prev, worst := lookup, 0
	var per []string
	for i, m := range marks {
		n := m - prev
		worst = max(worst, n)
		per = append(per, fmt.Sprintf("%d%%: %d", steps[i], n))
		prev = m
	}
	fmt.Printf("    lookup (project, environments, feature, segment, flag): %d reads; then %s\n", lookup, strings.Join(per, ", "))
	fmt.Printf("    through %s\n", res.Endpoints)
	return worst, nil
}
