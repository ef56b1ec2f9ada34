// Package ecs deploys services on Amazon ECS and finds out for certain whether the deployment
// worked: it renders task definitions from files with new images and environment, runs a
// migration as a one-off task and checks its exit code, updates services, follows each new
// deployment by id until it completes or fails (streaming service events), prints why tasks
// stopped, rolls back, and prunes old revisions.
//
// It owns the ECS API calls and their meaning; credentials and the SDK's retryer come from the
// caller's aws.Config. It does not build or push images (package images) nor talk to GitHub.
package ecs
