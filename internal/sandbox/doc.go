// Package sandbox runs the commands slipway starts on a repository's behalf — a rollout's gate
// command, a linter with the plugins its config names, pip building a project — as an unprivileged
// user. A container action runs as root with the runner's /var/run/docker.sock mounted: as root, such
// a command could ask the Docker API for the action container's environment (every input, the API
// key included), use the host's root through the socket, read /proc/<pid>/environ of slipway's own
// processes, or read any file only root may. As the sandbox user (UID, GID, no supplementary
// groups, so not the socket's group; no_new_privs, so no setuid program gives root back) it can do
// none of these.
//
// It owns who a command runs as and the directories it may write: a home of its own for each
// command (HOME, TMPDIR, XDG_CACHE_HOME), and those the caller names (Options.Writes), handed over
// for the command's run only. It does not choose a command's environment variables (callers pass an
// allow-list), nor hide what every user may read: the workspace, world-readable files, the network.
//
// It acts only where there is something to drop: on Linux, when slipway runs as root. Elsewhere (a
// developer's laptop) commands run as they are.
package sandbox
