package images

import (
	"slices"
	"strings"
	"time"

	bkclient "github.com/moby/buildkit/client"
)

// layerTimer gathers, from a solve's status stream, when buildkitd was pulling layers (a status
// named by the layer's digest) and extracting them ("extracting sha256:…").
type layerTimer struct {
	spans map[string]*span // by vertex and status ID
}

type span struct {
	extract     bool
	start, stop time.Time
}

func (l *layerTimer) add(statuses []*bkclient.VertexStatus) {
	for _, st := range statuses {
		extract := strings.HasPrefix(st.ID, "extracting sha256:")
		if !extract && !strings.HasPrefix(st.ID, "sha256:") {
			continue
		}
		if l.spans == nil {
			l.spans = map[string]*span{}
		}
		k := st.Vertex.String() + " " + st.ID
		sp := l.spans[k]
		if sp == nil {
			sp = &span{extract: extract}
			l.spans[k] = sp
		}
		if st.Started != nil {
			sp.start = *st.Started
		}
		if st.Completed != nil {
			sp.stop = *st.Completed
		}
	}
}

// times is the wall time during which at least one layer was being pulled, and extracted: layers
// handled at once count once.
func (l *layerTimer) times() LayerTime {
	var pull, extract [][2]time.Time
	for _, sp := range l.spans {
		if sp.start.IsZero() || sp.stop.Before(sp.start) {
			continue
		}
		if sp.extract {
			extract = append(extract, [2]time.Time{sp.start, sp.stop})
		} else {
			pull = append(pull, [2]time.Time{sp.start, sp.stop})
		}
	}
	return LayerTime{Pulling: union(pull), Extracting: union(extract)}
}

// union is the length of the union of the intervals.
func union(iv [][2]time.Time) time.Duration {
	slices.SortFunc(iv, func(a, b [2]time.Time) int { return a[0].Compare(b[0]) })
	var total time.Duration
	var cur [2]time.Time
	for i, v := range iv {
		switch {
		case i == 0:
			cur = v
		case v[0].After(cur[1]):
			total += cur[1].Sub(cur[0])
			cur = v
		case v[1].After(cur[1]):
			cur[1] = v[1]
		}
	}
	if len(iv) > 0 {
		total += cur[1].Sub(cur[0])
	}
	return total
}
