package rollout

import (
	"slices"
	"strconv"

	"github.com/slipway-actions/slipway/internal/flagsmith"
)

// PreviewEntry says whether a sample identifier gets the feature from the rollout segment.
type PreviewEntry struct {
	Identifier string  `json:"identifier"`
	Inside     bool    `json:"inside"`
	Named      bool    `json:"named"`      // listed in users
	Hash       float64 `json:"percentile"` // the identity's hashed percentage for this segment
}

// preview computes, for the sample identifiers, what the flag engine would decide for edge and
// local evaluation: identity key "<environment key>_<identifier>" hashed with the segment id.
func (r *runner) preview() {
	if len(r.cfg.Preview) == 0 {
		return
	}
	st := r.res.After
	if st.Segment == nil || st.Segment.ID == 0 {
		r.res.PreviewNote = "the rollout segment does not exist yet; its id is part of the hash, so the preview is known once it is created"
		return
	}
	pct, users := st.Percentage(), st.Users()
	for _, id := range r.cfg.Preview {
		h := flagsmith.HashedPercentage(strconv.Itoa(st.Segment.ID), flagsmith.IdentityKey(st.EnvironmentKey, id))
		named := slices.Contains(users, id)
		r.res.Preview = append(r.res.Preview, PreviewEntry{Identifier: id, Named: named, Hash: h, Inside: named || (pct >= 0 && h <= pct)})
	}
	r.res.PreviewNote = "computed as edge and local evaluation do (identity key <environment key>_<identifier>); identities evaluated by Flagsmith's core API are hashed by their numeric id instead"
}
