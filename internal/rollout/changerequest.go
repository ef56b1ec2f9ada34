package rollout

// ChangeRequest is a Flagsmith change request that carries a step where the environment requires
// approvals: the step is in place once it is committed.
type ChangeRequest struct {
	ID    int    `json:"id"`
	Title string `json:"title"`
	URL   string `json:"url"`
	Step  int    `json:"step"` // index in the record's steps
}
