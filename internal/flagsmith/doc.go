// Package flagsmith is a client for the parts of the Flagsmith Admin API that a rollout needs:
// looking up projects, environments, features and segments by name, writing segments, and reading
// and writing a feature's state in one environment through the `__future__` endpoints, which work
// the same with and without feature versioning.
//
// It owns the wire: the `Authorization: Api-Key` header, pagination, retries on 429 (Retry-After)
// and 5xx, and turning Django REST framework error bodies into errors that say what to do. It also
// owns the flag engine's percentage hashing, so a preview agrees with what Flagsmith serves.
// It does not decide what to change; that is package rollout.
//
// API reference: https://docs.flagsmith.com/integrating-with-flagsmith/flagsmith-api-overview/admin-api
package flagsmith
