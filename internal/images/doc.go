// Package images owns what is built: the image specs of the build-push-images action (name, context,
// Dockerfile, target, build args, labels), the facts read from a Dockerfile (its stages and the
// features only BuildKit has), the tags computed as docker/metadata-action computes them, the OCI
// labels, and the build itself — BuildKit through the engine with a session for build secrets, or the
// classic builder where the engine has no BuildKit and the Dockerfile needs none. run-e2e builds the
// build sections of a Compose project with the same Builder. What the engine's builder cannot do
// (several platforms, a registry cache, attestations) runs on slipway's own buildkitd (Daemon, Solver),
// which pushes each platform by digest: a process for the local CLI, a container of slipway's image
// beside the action's in the action (StartSibling), reached through the engine's exec API.
//
// It does not tag or copy pushes: package registry moves built images to registries and merges the
// per-platform digests into one index.
package images
