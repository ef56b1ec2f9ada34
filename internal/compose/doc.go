// Package compose runs a Compose project on the Docker Engine for an end-to-end test, as
// `docker compose up` would on a fresh runner: it loads the user's own compose files with compose-go
// (interpolation, env files, profiles, extends, depends_on conditions, healthchecks), checks that
// every key it parsed is honoured or named (Check), gives every service its image (pulls per
// pull_policy with the docker config's logins, builds through package images' builder, BuildKit),
// creates the project's networks, volumes and containers through the Engine API with Compose's
// labels, starts services in dependency order, waits for readiness by watching engine events (no
// sleeps), runs the test service, collects its exit code, reports and logs, and always removes
// everything it made — on a cancel first of all.
//
// It does not parse YAML by hand nor shell out to docker compose, and it knows nothing of GitHub
// Actions: it returns typed errors (InputError, PullError, NotReadyError) that the action maps to
// exit codes.
package compose
