// Package rollout releases one Flagsmith feature in one environment step by step: named users,
// then a growing percentage of identities through the environment's own segment with a
// PERCENTAGE_SPLIT condition, with a gate after each step, and finally on for everyone. It records
// the flag's state before a run so that a failing gate, an error, a cancelled run or a later
// `rollback` restores it, reading Flagsmith back until it is there. A cancelled run kills its gate
// command's process group and restores within Config.CancelGrace counted from the cancel.
//
// It decides what to change and changes only what differs, so a re-run of the same step writes
// nothing; before its first write it refuses a segment that serves other environments (bad
// input). Where the environment requires approvals, each step goes through a Flagsmith change
// request that the run commits once reviewers approve it (changerequest.go). A held rollout
// (Config.Hold) takes one step per run and keeps its record and its lease in the rollout segment,
// so the bake between steps holds no runner (hold.go, lease.go). The wire, and which of
// Flagsmith's endpoints carry it, is package flagsmith's; exit codes are the action's.
package rollout
