// Package runnertest runs an action's container the way a GitHub-hosted runner does, on the real
// engine, so tests meet the action as users do: in the image built from the repository's Dockerfile,
// started with what actions/runner's ContainerActionHandler and DockerCommandManager give it
// (src/Runner.Worker/Handlers/ContainerActionHandler.cs, src/Runner.Worker/Container/):
//
//   - bind mounts /var/run/docker.sock, <temp>/_github_home → /github/home,
//     <temp>/_github_workflow → /github/workflow, <temp>/_runner_file_commands →
//     /github/file_commands and the workspace → /github/workspace; nothing else of the host;
//   - working directory /github/workspace, HOME /github/home, the container's own user (root), the
//     entrypoint from action.yml, GITHUB_ACTIONS=true and CI=true;
//   - INPUT_<NAME> for every input of action.yml (the name upper-cased, spaces turned into "_", hyphens
//     kept), from the step's with: or the input's default;
//   - the environment of the job and step, the github and runner contexts (GITHUB_*, RUNNER_*), each
//     value that is a host path under a mount translated to the container path; RUNNER_TEMP (<temp>
//     itself) stays a host path that the container does not have;
//   - a workspace owned by the runner's user, uid 1001, as actions/checkout leaves it.
//
// Steps that are not container actions ("run:" steps) run on the host as uid 1001 in the workspace,
// with the runner's default shell; a test uses them as the next step of the job would: to read
// GITHUB_OUTPUT's values as stored (as written, never translated back) and the files they name.
//
// A step may be cancelled as the runner cancels one (Step.CancelWhen): its docker run passes the
// runner's signals on to the container, SIGINT, then SIGTERM and SIGKILL on actionkit's cancel
// timeline; the result says how long the step went on after the first.
//
// One deviation: a step may ask for the host's network (Step.Network "host") instead of the engine's
// default bridge that the runner uses. Tests need it to reach fakes that listen on the host's
// loopback (fake ECS, fake Flagsmith, docker-registry), which stand in for services that would be on
// the internet; the mounts, environment and everything else stay as the runner makes them.
//
// Image builds the repository's root Dockerfile once per test binary (its base made from Debian's
// packages by .ci/debian-image where nothing can be pulled, the binaries built static beforehand);
// Main removes it when the binary's tests end. With SLIPWAY_TEST_IMAGE=<tag or image ID> (ImageEnv)
// Image builds nothing and returns that image, which the engine must hold and which stays: the
// release runs the tests in the very image it then pushes.
package runnertest
