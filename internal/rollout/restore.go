package rollout

import (
	"context"
	"fmt"
)

// restore reads the flag back from Flagsmith and converges it to want until a read shows it
// there: a write whose answer was lost (a cut connection, a cancelled run) may have been applied,
// or may be applied while the first read is under way.
func (r *runner) restore(ctx context.Context, want State) (State, error) {
	var last State
	for attempt := 0; attempt < 3; attempt++ {
		now, ok := r.readBack(ctx)
		if !ok {
			return last, fmt.Errorf("could not read Flagsmith: %w", context.Cause(ctx))
		}
		if same(now, want) {
			return now, nil
		}
		var err error
		if last, err = r.converge(ctx, now, want, false); err != nil {
			return last, err // a change request waiting for approval is never made twice
		}
	}
	return last, fmt.Errorf("the flag changed again after each of 3 restores; someone else is changing it")
}

// readBack reads the rollout segment and the flag from Flagsmith.
func (r *runner) readBack(ctx context.Context) (State, bool) {
	st := r.res.Before
	seg, err := r.client.Segment(ctx, st.Project, r.segName)
	if err != nil {
		r.progress("reading segment %q back: %v", r.segName, err)
		return st, false
	}
	fs, err := r.client.ReadFeature(ctx, r.env, st.FeatureID)
	if err != nil {
		r.progress("reading %q back: %v", st.Feature, err)
		return st, false
	}
	r.others = fs.Overrides
	st.Segment, st.Default, st.Override = seg, fs.Default, overrideOf(fs, seg)
	return st, true
}

// same reports whether two states serve the same: the default, the segment's name and rules, and
// its override. Ids and priorities do not count; a segment made again is the same segment.
func same(a, b State) bool {
	switch {
	case !sameFlag(a.Default.Enabled, a.Default.Value, b.Default.Enabled, b.Default.Value),
		(a.Segment == nil) != (b.Segment == nil), (a.Override == nil) != (b.Override == nil):
		return false
	case a.Segment != nil && !sameSegment(*a.Segment, *b.Segment):
		return false
	}
	return a.Override == nil || sameFlag(a.Override.Enabled, a.Override.Value, b.Override.Enabled, b.Override.Value)
}
