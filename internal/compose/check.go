package compose

import (
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/slipway-actions/slipway/internal/failure"
)

// rule is what run-e2e does with one Compose key.
type rule struct {
	refused bool   // its absence would change what the tests see: the run stops, naming it
	why     string // for a refused or ignored key: why, and what to do instead; "" when honoured
}

var honoured = rule{}

func ignored(why string) rule { return rule{why: why} }
func refused(why string) rule { return rule{refused: true, why: why} }

// serviceKeys is every key of a service that compose-go parses (types.ServiceConfig, with its
// ContainerSpec and WorkloadSpec). Compose's own engine runs the project, so every key is what
// `docker compose up` makes of it, but for the few that need what run-e2e does not run or give.
// TestServiceKeys_EveryKeyIsDecided fails when a compose-go upgrade adds one that is not decided here.
var serviceKeys = map[string]rule{
	"develop":  ignored("watch and sync are for development; the images run as built"),
	"pre_stop": ignored("run-e2e removes the containers at the end without stopping them first, as docker compose down -t 0 kills"),

	"provider":       refused("it needs a Compose provider plugin, which run-e2e does not run"),
	"models":         refused("it needs Docker Model Runner, which run-e2e does not start"),
	"use_api_socket": refused("Compose would copy the runner's registry logins into the container; mount /var/run/docker.sock as a volume instead"),
}

// buildKeys is every key of a build section (types.BuildConfig).
var buildKeys = map[string]rule{
	"context": honoured, "dockerfile": honoured, "dockerfile_inline": honoured, "args": honoured,
	"labels": honoured, "cache_from": honoured, "cache_to": honoured, "no_cache": honoured,
	"pull": honoured, "extra_hosts": honoured, "network": honoured, "target": honoured,
	"secrets": honoured, "shm_size": honoured, "tags": honoured, "ulimits": honoured, "platforms": honoured,

	"provenance":      ignored("the engine's image store keeps no attestations"),
	"sbom":            ignored("the engine's image store keeps no attestations"),
	"no_cache_filter": ignored("the engine's build API has no per-stage no-cache; use no_cache"),
	"isolation":       ignored("applies to Windows builds only"),

	"ssh":                 refused("run-e2e forwards no SSH agent to builds; fetch private sources with a build secret"),
	"additional_contexts": refused("the engine's build API takes one context"),
	"entitlements":        refused("the engine grants no build entitlements"),
	"privileged":          refused("the engine grants no build entitlements"),
}

// yamlKeys lists the YAML keys of a compose-go struct type, with inline structs flattened.
func yamlKeys(t reflect.Type) []string {
	var out []string
	for f := range t.Fields() {
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		switch {
		case strings.Contains(opts, "inline") && strings.HasPrefix(name, "#"):
			continue // x-* extensions: ignored, as every Compose implementation does
		case strings.Contains(opts, "inline"):
			out = append(out, yamlKeys(f.Type)...)
		case name == "" || name == "-" || name == "name":
			continue
		default:
			out = append(out, name)
		}
	}
	return out
}

// setKeys returns the YAML keys of v (a compose-go struct) that hold a value.
func setKeys(v reflect.Value) []string {
	var out []string
	for i := range v.NumField() {
		f := v.Type().Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		switch {
		case strings.Contains(opts, "inline") && strings.HasPrefix(name, "#"):
		case strings.Contains(opts, "inline"):
			out = append(out, setKeys(v.Field(i))...)
		case name == "" || name == "-" || name == "name":
		case !v.Field(i).IsZero():
			out = append(out, name)
		}
	}
	return out
}

// Check says which keys of the project run-e2e cannot honour. A key whose absence would change what
// the tests see is an error (bad input: nothing was started), every one named with the service and
// what to do; the keys it ignores come back as notes, for one warning.
func Check(p *types.Project, testService string) (notes []string, err error) {
	var errs []error
	for _, name := range p.ServiceNames() {
		s := p.Services[name]
		var skipped []string
		judge := func(keys map[string]rule, prefix string, set []string) {
			for _, k := range set {
				r, ok := keys[k]
				switch {
				case !ok && prefix != "":
					skipped = append(skipped, prefix+k+" (not known to run-e2e)")
				case !ok:
					// honoured by Compose's engine
				case r.refused:
					errs = append(errs, fmt.Errorf("service %s: %s%s is not supported: %s", name, prefix, k, r.why))
				case r.why != "":
					skipped = append(skipped, prefix+k+" ("+r.why+")")
				}
			}
		}
		judge(serviceKeys, "", setKeys(reflect.ValueOf(s)))
		if s.Build != nil {
			judge(buildKeys, "build.", setKeys(reflect.ValueOf(*s.Build)))
			errs = append(errs, checkBuild(name, s)...)
			if c := s.Build.CacheTo; len(c) > 0 && !slices.Equal(c, []string{"type=inline"}) {
				skipped = append(skipped, "build.cache_to other than type=inline (the engine's builder exports no other cache)")
			}
		}
		if n := s.GetScale(); name == testService && n != 1 {
			errs = append(errs, fmt.Errorf("service %s: scale %d: the test service runs once; give it one replica", name, n))
		}
		for _, sec := range s.Secrets {
			if bool(p.Secrets[sec.Source].External) {
				errs = append(errs, fmt.Errorf("service %s: secret %s is external (Swarm); give it a file, environment or content", name, sec.Source))
			}
		}
		for _, c := range s.Configs {
			if bool(p.Configs[c.Source].External) {
				errs = append(errs, fmt.Errorf("service %s: config %s is external (Swarm); give it a file, environment or content", name, c.Source))
			}
		}
		if _, _, perr := s.GetPullPolicy(); perr != nil {
			errs = append(errs, fmt.Errorf("service %s: pull_policy: %w (always, missing, never, build, daily, weekly or every_<duration>)", name, perr))
		}
		if len(skipped) > 0 {
			notes = append(notes, "service "+name+": "+strings.Join(skipped, "; "))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(p.Jobs)) {
		// docker compose up refuses a scheduled job (cmd/compose/up.go rejectScheduledJobs) and leaves
		// the others out.
		if j := p.Jobs[name]; j.Triggers != nil && len(j.Triggers.Schedule) > 0 {
			errs = append(errs, fmt.Errorf("jobs.%s.triggers.schedule: scheduled jobs are not supported by docker compose up", name))
		}
	}
	if len(p.Jobs) > 0 {
		notes = append(notes, "jobs "+strings.Join(slices.Sorted(maps.Keys(p.Jobs)), ", ")+" (docker compose up runs services only)")
	}
	if len(errs) > 0 {
		return notes, failure.BadInput(errors.Join(errs...))
	}
	return notes, nil
}

// checkBuild refuses the build sections the engine's builder cannot build as asked.
func checkBuild(name string, s types.ServiceConfig) []error {
	var errs []error
	b := s.Build
	if strings.Contains(b.Context, "://") || strings.HasPrefix(b.Context, "git@") {
		errs = append(errs, fmt.Errorf("service %s: build.context %s is remote; run-e2e builds from the workspace (check it out first)", name, b.Context))
	}
	return errs
}
