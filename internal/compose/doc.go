// Package compose runs a Compose project on the Docker Engine for an end-to-end test: it loads the
// user's own compose files with compose-go (interpolation, env files, profiles, extends,
// depends_on conditions, healthchecks), creates the project's networks, volumes and containers
// through the Engine API with Compose's labels, starts services in dependency order, waits for
// readiness by watching engine events (no sleeps), runs the test service, collects its exit code,
// reports and logs, and always removes everything it made.
//
// It does not parse YAML by hand nor shell out to docker compose. It does not build with BuildKit
// (package images does); `build:` sections are built with the engine's classic builder.
package compose
