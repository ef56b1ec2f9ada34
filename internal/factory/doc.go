// Package factory builds the clients of the outside systems an action talks to (AWS, the Docker
// engine, GitHub) from one run's environment, in one place, in the spirit of cli/cli's injected
// HttpClient. The environment is the Kit's getenv, never the process's directly, so an action's test
// points an action at its fakes (AWS_ENDPOINT_URL, DOCKER_HOST, GITHUB_API_URL) through the
// environment it hands the Kit, and runs in parallel with the others.
//
// It does not decide exit codes: what the run's configuration lacks is a *ConfigError, which the
// action reports as bad input.
package factory
