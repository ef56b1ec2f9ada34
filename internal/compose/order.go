package compose

import (
	"github.com/compose-spec/compose-go/v2/types"
)

// Order lists the project's services dependencies first, and by name among services whose
// dependencies are all listed already: the order of log groups, summary rows and readiness, the
// same on every run.
func Order(p *types.Project) []string {
	placed := map[string]bool{}
	var out []string
	names := p.ServiceNames() // sorted
	for len(out) < len(names) {
		progressed := false
		for _, n := range names {
			if placed[n] || !depsPlaced(p, n, placed) {
				continue
			}
			placed[n] = true
			out = append(out, n)
			progressed = true
			break // restart from the first name: the next one in order may now be ready
		}
		if !progressed { // a cycle compose-go let through: the rest by name
			for _, n := range names {
				if !placed[n] {
					placed[n] = true
					out = append(out, n)
				}
			}
		}
	}
	return out
}

func depsPlaced(p *types.Project, name string, placed map[string]bool) bool {
	for dep := range p.Services[name].DependsOn {
		if _, ok := p.Services[dep]; ok && !placed[dep] {
			return false
		}
	}
	return true
}
