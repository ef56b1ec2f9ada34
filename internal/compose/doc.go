// Package compose runs a Compose project on the Docker Engine for an end-to-end test exactly as
// `docker compose up` would on a fresh runner, by running Compose's own code: it loads the user's
// Compose files with Compose v5's LoadProject and the CLI's steps before up (Load), refuses what
// run-e2e cannot run as Compose would and what an untrusted project may not ask for (Check,
// CheckTrust), gives every service its image with slipway's pulls and builds (EnsureImages: the
// runner's logins, progress, BuildKit), then brings the project up with Compose's engine
// (github.com/docker/compose/v5/pkg/compose, `up -d`), follows the containers through engine
// events (readiness, logs kept as they are printed), runs the test service to its exit, copies its
// reports, runs it once more with the command the caller forms from them (Options.Rerun: the failed
// cases again, on the platform still up), and always removes everything it made — on a cancel first of all, through a guard
// between Compose's engine and the Docker Engine that lets nothing be created or started once
// teardown has begun.
//
// It knows nothing of GitHub Actions: its errors carry their class (package failure: bad input, or
// NotReadyError, a failure of the platform under test) and PullError says why a pull failed.
package compose
