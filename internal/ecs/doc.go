// Package ecs deploys services on Amazon ECS and finds out for certain whether the deployment
// worked: it renders task definitions from files with new images, environment and secrets
// (references: valueFrom ARNs, never read), runs a migration as a one-off task and checks its exit
// code (stopping it with StopTask when it outlives its timeout or the run is cancelled), updates
// services, follows each new deployment by id until it completes or fails (streaming service
// events), rolls back, says why tasks stopped, and prunes old revisions. A versioned deploy tags
// each revision with its release (VersionTag) and refuses, before touching anything, to replace a
// newer release with an older one unless allowed. Any one-off task (RunTask) runs before, after or
// instead of the deploy with the migration's machinery (runtask.go). A service whose deployment
// controller is CODE_DEPLOY is deployed through CodeDeploy (codedeploy.go): an AppSpec of the new
// revision, CreateDeployment, waited to its end, CodeDeploy's rollback followed, StopDeployment
// with rollback on a cancel. RollBack undoes a deploy later, guarded: a
// service moves back only while it still runs the revision that deploy set.
//
// A cancelled run (ctx) still rolls back and stops its migration, first and on a fresh context,
// within Waiting.CancelGrace counted from the cancel: one window that all the work after the cancel
// shares (the stop, the wait for it, deregistering, the rollback); diagnostics come after, while
// time remains. Errors carry their class (package failure): bad input (nothing touched), failed (a
// deployment, rollback or migration ran and failed); anything else is infrastructure or a cancel.
//
// With a Verify checker, Prepare also lists what the task definitions need and lack (package
// preflight); with a Scheduled mover, the scheduled tasks of the deployed families follow the
// services once their deployments completed, and a rollback moves them back (package schedule).
//
// It owns the ECS API calls and their meaning; credentials and the SDK's retryer come from the
// caller's aws.Config. It does not build or push images (package images), nor talk to GitHub, nor
// know about the Actions runner (package actionkit).
package ecs
