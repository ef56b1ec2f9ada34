// Package schedule moves the scheduled tasks that run an ECS task definition family to a new
// revision: EventBridge rules on the default event bus whose targets run the family (PutTargets,
// the target sent back whole), and EventBridge Scheduler schedules that do (UpdateSchedule, every
// field of the schedule sent back, since UpdateSchedule replaces the whole schedule). Plan lists
// them without touching anything (a dry run shows the list); Apply moves them; Restore puts them
// back, each only while it still runs the revision the move set. A target that names its family
// without a revision already runs the latest ACTIVE revision and is left alone.
//
// It does not register task definitions nor update services (package ecs), and reads no other
// event bus than the default one, which is the only one scheduled rules run on.
package schedule
