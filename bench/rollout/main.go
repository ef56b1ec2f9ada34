// Command rollout measures how many Flagsmith API requests flag-rollout spends per step of a
// rollout, on the fake Admin API: the lookup once, then each step's reads and writes.
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

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench/rollout:", err)
		os.Exit(1)
	}
}

func run() error {
	f := flagsmithtest.New(nil)
	defer f.Close()
	f.PageSize = 100
	p := f.AddProject("web")
	f.AddEnvironment(p, "Production", "prodKey", true)
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
		return err
	}
	steps := []int{1, 5, 25, 50, 100}
	_, err = rollout.Run(context.Background(), c, rollout.Config{Project: "web", Environment: "Production", Feature: "new-checkout",
		Users: []string{"alice", "bob"}, Steps: steps, Gate: rollout.Gate{URL: gate.URL}}, func(string, ...any) {})
	if err != nil {
		return err
	}
	reqs := f.Requests()
	lookup := 0
	for lookup < len(reqs) && reqs[lookup].Method == http.MethodGet {
		lookup++
	}
	fmt.Printf("flag-rollout, %d steps %v on the fake Flagsmith (versioned environment)\n", len(steps), steps)
	fmt.Printf("  lookup (project, environment, feature, segment, state): %d reads\n", lookup)
	prev, worst := lookup, 0
	var per []string
	for i, m := range marks {
		n := m - prev
		worst = max(worst, n)
		per = append(per, fmt.Sprintf("%d%%: %d", steps[i], n))
		prev = m
	}
	fmt.Printf("  requests per step beyond the lookup: %s\n", strings.Join(per, ", "))
	fmt.Printf("  worst step: %d requests (goal ≤ 3)\n", worst)
	if worst > 3 {
		return fmt.Errorf("a step took %d requests, more than the goal of 3", worst)
	}
	return nil
}
