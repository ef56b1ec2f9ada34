// Package rollout releases one Flagsmith feature in one environment step by step: named users,
// then a growing percentage of identities through a segment with a PERCENTAGE_SPLIT condition,
// with a gate after each step, and finally on for everyone. It records the flag's state before a
// run so that a failing gate, an error or a later `rollback` restores it exactly.
//
// It decides what to change and changes only what differs, so a re-run of the same step writes
// nothing. The wire is package flagsmith's.
package rollout
