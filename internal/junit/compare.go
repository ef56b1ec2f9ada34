package junit

// Change is one case whose outcome moved between a base run and this one.
type Change struct {
	Case Case
	// Base is the case's outcome in the base report; empty when the base did not have the case.
	Base Status
}

// Diff is how this run's outcomes moved from a base run's.
type Diff struct {
	NewlyFailing []Change // failing now; passed or skipped in the base, or new
	NewlyPassing []Change // passing now (flaky included); failing in the base
}

// Compare lists the cases that fail in current and did not fail in base (the base passed or skipped
// them, or did not have them), and those that pass in current and failed in base. Cases are matched
// by classname and name (Key), whatever report file or shard they came from; a case that appears
// more than once in a report fails there if any of its runs' last outcome failed. A flaky case
// counts as passing. The pull-request comment's "newly failing / newly passing" is this.
func Compare(current, base *Report) Diff {
	now, was := outcomes(current), outcomes(base)
	var d Diff
	for _, k := range now.order {
		c := now.cases[k]
		b, inBase := was.cases[k]
		switch {
		case failing(c.Outcome()) && (!inBase || !failing(b.Outcome())):
			d.NewlyFailing = append(d.NewlyFailing, Change{Case: c, Base: statusOf(b, inBase)})
		case c.Outcome() == Passed && inBase && failing(b.Outcome()):
			d.NewlyPassing = append(d.NewlyPassing, Change{Case: c, Base: b.Outcome()})
		}
	}
	return d
}

func statusOf(c Case, ok bool) Status {
	if !ok {
		return ""
	}
	return c.Outcome()
}

type byKey struct {
	order []Key
	cases map[Key]Case
}

// outcomes is one case per key, in the report's order: a failing run wins over any other.
func outcomes(r *Report) byKey {
	out := byKey{cases: map[Key]Case{}}
	if r == nil {
		return out
	}
	for _, c := range r.Cases {
		k := c.Key()
		prev, ok := out.cases[k]
		if !ok {
			out.order = append(out.order, k)
		}
		if !ok || failing(c.Outcome()) && !failing(prev.Outcome()) || prev.Outcome() == Skipped && c.Outcome() == Passed {
			out.cases[k] = c
		}
	}
	return out
}
