package images

import (
	"cmp"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// GitRef is what a tag rule reads of the run: the event, the ref and the commit, as GitHub sets
// GITHUB_EVENT_NAME, GITHUB_REF and GITHUB_SHA.
type GitRef struct {
	Event         string // push, pull_request, schedule, workflow_dispatch, …
	Ref           string // refs/heads/main, refs/tags/v1.2.3, refs/pull/7/merge
	SHA           string
	DefaultBranch string // for type=edge and {{is_default_branch}}
}

func (g GitRef) branch() (string, bool) { return strings.CutPrefix(g.Ref, "refs/heads/") }
func (g GitRef) tag() (string, bool)    { return strings.CutPrefix(g.Ref, "refs/tags/") }

func (g GitRef) pr() (string, bool) {
	rest, ok := strings.CutPrefix(g.Ref, "refs/pull/")
	if !ok {
		return "", false
	}
	n, _, _ := strings.Cut(rest, "/")
	return n, n != ""
}

// Rule is one line of the tags input, as docker/metadata-action reads it:
// type=semver,pattern={{major}}.{{minor}},enable=true,priority=900,prefix=,suffix=.
type Rule struct {
	Type  string
	Attrs map[string]string
	Line  string
}

// Flavor is the flavor input: latest=auto|true|false, prefix=…[,onlatest=true], suffix=…[,onlatest=true].
type Flavor struct {
	Latest                         string
	Prefix, Suffix                 string
	PrefixOnLatest, SuffixOnLatest bool
}

// metadata-action's default priorities: a higher one comes first, and the first tag is the version.
var rulePriority = map[string]int{"schedule": 1000, "semver": 900, "edge": 700, "ref": 600, "raw": 200, "sha": 100}

var ruleAttrs = map[string][]string{
	"schedule": {"pattern"},
	"semver":   {"pattern", "value"},
	"edge":     {"branch"},
	"ref":      {"event"},
	"raw":      {"value"},
	"sha":      {"format"},
}

// ParseRules reads the tags input; every bad line is reported, each with its text.
func ParseRules(lines []string) ([]Rule, error) {
	var rules []Rule
	var errs []error
	for _, line := range lines {
		r, err := parseRule(line)
		if err != nil {
			errs = append(errs, fmt.Errorf("%q: %w", line, err))
			continue
		}
		rules = append(rules, r)
	}
	return rules, errors.Join(errs...)
}

func parseRule(line string) (Rule, error) {
	r := Rule{Attrs: map[string]string{}, Line: line}
	if !strings.Contains(line, "type=") {
		// metadata-action: a line without a type is a raw value.
		r.Type, r.Attrs["value"] = "raw", line
		return r, nil
	}
	for _, field := range splitAttrs(line) {
		k, v, ok := strings.Cut(field, "=")
		k = strings.ToLower(strings.TrimSpace(k))
		if !ok || k == "" {
			return r, fmt.Errorf("%q is not key=value", field)
		}
		if k == "type" {
			r.Type = strings.TrimSpace(v)
			continue
		}
		r.Attrs[k] = strings.TrimSpace(v)
	}
	allowed, ok := ruleAttrs[r.Type]
	if !ok {
		return r, fmt.Errorf("unknown type %q (want semver, ref, sha, raw, edge or schedule)", r.Type)
	}
	for k := range r.Attrs {
		if !slices.Contains(allowed, k) && !slices.Contains([]string{"enable", "priority", "prefix", "suffix"}, k) {
			return r, fmt.Errorf("type=%s has no attribute %q", r.Type, k)
		}
	}
	if p, ok := r.Attrs["priority"]; ok {
		if _, err := strconv.Atoi(p); err != nil {
			return r, fmt.Errorf("priority %q is not a number", p)
		}
	}
	if e, ok := r.Attrs["enable"]; ok && e != "true" && e != "false" && e != "{{is_default_branch}}" {
		return r, fmt.Errorf("enable %q: want true, false or {{is_default_branch}}", e)
	}
	switch r.Type {
	case "ref":
		if ev := r.Attrs["event"]; ev != "branch" && ev != "tag" && ev != "pr" {
			return r, fmt.Errorf("type=ref needs event=branch, event=tag or event=pr")
		}
	case "semver":
		if r.Attrs["pattern"] == "" {
			return r, errors.New("type=semver needs a pattern, e.g. pattern={{version}}")
		}
	case "raw":
		if r.Attrs["value"] == "" {
			return r, errors.New("type=raw needs a value")
		}
	case "sha":
		if f := r.Attrs["format"]; f != "" && f != "short" && f != "long" {
			return r, fmt.Errorf("format %q: want short or long", f)
		}
	}
	return r, nil
}

// splitAttrs splits on commas that are not inside {{ }}, so a pattern can hold a comma-free template.
func splitAttrs(line string) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(line); i++ {
		switch {
		case strings.HasPrefix(line[i:], "{{"):
			depth++
			i++
		case strings.HasPrefix(line[i:], "}}") && depth > 0:
			depth--
			i++
		case line[i] == ',' && depth == 0:
			out = append(out, line[start:i])
			start = i + 1
		}
	}
	return append(out, line[start:])
}

// ParseFlavor reads the flavor input.
func ParseFlavor(lines []string) (Flavor, error) {
	f := Flavor{Latest: "auto"}
	var errs []error
	for _, line := range lines {
		fields := splitAttrs(line)
		k, v, _ := strings.Cut(fields[0], "=")
		onLatest := false
		for _, extra := range fields[1:] {
			ek, ev, _ := strings.Cut(extra, "=")
			if strings.TrimSpace(ek) != "onlatest" || (ev != "true" && ev != "false") {
				errs = append(errs, fmt.Errorf("%q: only onlatest=true|false may follow", line))
			}
			onLatest = ev == "true"
		}
		switch strings.TrimSpace(k) {
		case "latest":
			if v != "auto" && v != "true" && v != "false" {
				errs = append(errs, fmt.Errorf("%q: latest is auto, true or false", line))
			}
			f.Latest = v
		case "prefix":
			f.Prefix, f.PrefixOnLatest = v, onLatest
		case "suffix":
			f.Suffix, f.SuffixOnLatest = v, onLatest
		default:
			errs = append(errs, fmt.Errorf("%q: want latest=, prefix= or suffix=", line))
		}
	}
	return f, errors.Join(errs...)
}

// Tags is the result of the rules for one run.
type Tags struct {
	Tags    []string // in priority order; "latest" last when it applies
	Version string   // the first tag, as metadata-action's version output (for the OCI label)
	Latest  bool
	Notes   []string // why latest was or was not added, when that was a decision
}

type candidate struct {
	tag      string
	priority int
	order    int
}

var (
	invalidTagChars = regexp.MustCompile(`[^a-zA-Z0-9._-]+`)
	validTag        = regexp.MustCompile(`^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$`)
)

// ComputeTags applies the rules to the run as docker/metadata-action does, with one difference:
// latest=auto adds latest only when the run's tag is the highest semver release of releases (all the
// repository's tags). releases nil means unknown: then latest follows metadata-action and Notes says
// so. An error names every rule that produced an invalid tag, or says that no rule produced one.
// The rules are only read.
func ComputeTags(rules []Rule, fl Flavor, ref GitRef, releases []string) (Tags, error) {
	var cands []candidate
	var errs []error
	latestEligible := false
	for i, r := range rules {
		if !enabled(r, ref) {
			continue
		}
		v, ok := ruleValue(r, ref)
		if !ok {
			continue
		}
		latestEligible = latestEligible || v.release
		c, err := fl.candidate(r, i, v)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		cands = append(cands, c)
	}
	out := Tags{Tags: ranked(cands)}
	switch fl.Latest {
	case "true":
		out.Latest = true
	case "auto", "":
		if latestEligible {
			gitTag, _ := ref.tag()
			out.Latest, out.Notes = highestRelease(gitTag, releases)
		}
	}
	if latest := fl.latestTag(); out.Latest && !slices.Contains(out.Tags, latest) {
		out.Tags = append(out.Tags, latest)
	}
	if len(errs) > 0 {
		return out, errors.Join(errs...)
	}
	if len(out.Tags) == 0 {
		return out, fmt.Errorf("no tag rule gives a tag for %s %s: add one that does (e.g. type=sha or type=raw,value=…)", cmp.Or(ref.Event, "this event"), cmp.Or(ref.Ref, "(no ref)"))
	}
	out.Version = out.Tags[0]
	return out, nil
}

// ruleTag is what one rule gives for the run, before the flavor: its value, with the prefix the
// rule takes (its own, or metadata-action's default for its type).
type ruleTag struct {
	prefix, value string
	release       bool // the run's tag is a release: latest=auto may add latest
}

// ruleValue is what rule r gives for ref; ok is false when it gives nothing for this run.
func ruleValue(r Rule, ref GitRef) (v ruleTag, ok bool) {
	branch, onBranch := ref.branch()
	gitTag, onTag := ref.tag()
	v.prefix = r.Attrs["prefix"]
	switch r.Type {
	case "schedule":
		v.value, ok = cmp.Or(r.Attrs["pattern"], "nightly"), ref.Event == "schedule"
	case "ref":
		switch r.Attrs["event"] {
		case "branch":
			v.value, ok = branch, onBranch
		case "tag":
			v.value, ok, v.release = gitTag, onTag, onTag
		case "pr":
			v.prefix = cmp.Or(v.prefix, "pr-")
			v.value, ok = ref.pr()
		}
	case "edge":
		v.value, ok = "edge", onBranch && branch == cmp.Or(r.Attrs["branch"], ref.DefaultBranch)
	case "raw":
		v.value, ok = expand(r.Attrs["value"], ref), true
	case "sha":
		if _, named := r.Attrs["prefix"]; !named {
			v.prefix = "sha-"
		}
		v.value, ok = ref.SHA, ref.SHA != ""
		if r.Attrs["format"] != "long" && len(v.value) > 7 {
			v.value = v.value[:7]
		}
	case "semver":
		return semverValue(r, v.prefix, gitTag, onTag)
	}
	return v, ok
}

// semverValue is what a type=semver rule gives: nothing unless its value (or else the run's tag) is
// a semver version; a pre-release gets no major/minor tags, and a release makes latest possible.
func semverValue(r Rule, prefix, gitTag string, onTag bool) (ruleTag, bool) {
	raw := r.Attrs["value"]
	if raw == "" && onTag {
		raw = gitTag
	}
	v, err := parseSemver(raw)
	if err != nil {
		return ruleTag{}, false // not a semver tag: the rule gives nothing, as in metadata-action
	}
	pattern := r.Attrs["pattern"]
	if v.Prerelease() != "" && pattern != "{{raw}}" {
		pattern = "{{version}}" // pre-releases get no major/minor tags
	}
	return ruleTag{prefix: prefix, value: semverPattern(pattern, v, raw), release: v.Prerelease() == ""}, true
}

// candidate is the tag rule r (the i-th) gives with value v under the flavor, with its priority; an
// error when that is not a valid Docker tag.
func (fl Flavor) candidate(r Rule, i int, v ruleTag) (candidate, error) {
	tag := fl.Prefix + v.prefix + v.value + r.Attrs["suffix"] + fl.Suffix
	if r.Type != "raw" {
		tag = invalidTagChars.ReplaceAllString(tag, "-")
	}
	if !validTag.MatchString(tag) {
		return candidate{}, fmt.Errorf("%q gives %q, which is not a valid Docker tag", r.Line, tag)
	}
	prio := rulePriority[r.Type]
	if p, ok := r.Attrs["priority"]; ok {
		prio, _ = strconv.Atoi(p)
	}
	return candidate{tag: tag, priority: prio, order: i}, nil
}

// ranked is the tags of cands, the highest priority first (rule order among equals), each once.
func ranked(cands []candidate) []string {
	cands = slices.Clone(cands)
	slices.SortStableFunc(cands, func(a, b candidate) int {
		if a.priority != b.priority {
			return b.priority - a.priority
		}
		return a.order - b.order
	})
	var tags []string
	for _, c := range cands {
		if !slices.Contains(tags, c.tag) {
			tags = append(tags, c.tag)
		}
	}
	return tags
}

// latestTag is the latest tag under the flavor: its prefix and suffix when they are onlatest.
func (fl Flavor) latestTag() string {
	latest := "latest"
	if fl.PrefixOnLatest {
		latest = fl.Prefix + latest
	}
	if fl.SuffixOnLatest {
		latest += fl.Suffix
	}
	return latest
}

// highestRelease decides latest=auto: the run's tag must be a release (no pre-release part) at
// least as high as every release among all the repository's tags.
func highestRelease(gitTag string, releases []string) (bool, []string) {
	v, err := parseSemver(gitTag)
	if err != nil || v.Prerelease() != "" {
		return false, nil
	}
	if releases == nil {
		return true, []string{"latest: the repository's tags are unknown (give all-tags or github-token), so latest follows metadata-action and is added for every release tag"}
	}
	for _, other := range releases {
		o, err := parseSemver(other)
		if err == nil && o.Prerelease() == "" && o.GreaterThan(v) {
			return false, []string{fmt.Sprintf("latest: not added, %s is a higher release than %s", other, gitTag)}
		}
	}
	return true, nil
}

func parseSemver(s string) (*semver.Version, error) {
	s = strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(s), "="), "v")
	return semver.StrictNewVersion(s)
}

func semverPattern(pattern string, v *semver.Version, raw string) string {
	return strings.NewReplacer(
		"{{raw}}", raw,
		"{{version}}", v.String(),
		"{{major}}", strconv.FormatUint(v.Major(), 10),
		"{{minor}}", strconv.FormatUint(v.Minor(), 10),
		"{{patch}}", strconv.FormatUint(v.Patch(), 10),
	).Replace(pattern)
}

func enabled(r Rule, ref GitRef) bool {
	switch r.Attrs["enable"] {
	case "false":
		return false
	case "{{is_default_branch}}":
		b, ok := ref.branch()
		return ok && b == ref.DefaultBranch
	}
	return true
}

// expand fills metadata-action's global expressions in a raw value.
func expand(v string, ref GitRef) string {
	branch, _ := ref.branch()
	tag, _ := ref.tag()
	short := ref.SHA
	if len(short) > 7 {
		short = short[:7]
	}
	return strings.NewReplacer("{{branch}}", branch, "{{tag}}", tag, "{{sha}}", short).Replace(v)
}
