// Package flagsmith is a client for the parts of the Flagsmith Admin API that a rollout needs:
// looking up projects, environments, features and segments by name, writing segments, and reading
// and writing what a flag serves in one environment.
//
// Feature states go through Flagsmith's `__future__` endpoint where the server has it (2026-08 and
// later; one shape with and without feature versioning) and through the stable endpoints where the
// server answers that route with 404: featurestates and feature-segments, and in an environment
// with feature versioning v2 a new published version per change. The client decides on its first
// read and says which in Endpoints. A write through featurestates/{id}/ names its environment and
// feature, which Flagsmith's serializer needs (a 500 without them).
//
// Where an environment requires change requests (Environment.RequiresChangeRequests), WriteFeature
// refuses and a change goes through a change request instead: CreateChangeRequest opens one that
// carries a FeatureChange, ChangeRequest reads who approved it and whether it was committed or
// deleted, CommitChangeRequest commits it once approved. The client never approves one.
//
// It owns the wire: the `Authorization: Api-Key` header, pagination, retries on 429 (Retry-After)
// and 5xx through cenkalti/backoff, and turning Django REST framework error bodies into errors that
// say what to do. It also owns the flag engine's percentage hashing, so a preview agrees with what
// Flagsmith serves. It does not decide what to change; that is package rollout.
//
// Contract: Flagsmith's OpenAPI document (openapi.yaml of Flagsmith/flagsmith, commit
// 1ad8487ba7aabedd3cdfbcf3e7d772784d3e1aae); the tests check every request and answer against it
// (flagsmithtest.Contract).
package flagsmith
