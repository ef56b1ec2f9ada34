// Package github is slipway's use of the GitHub API through go-github: recording a deploy as a
// GitHub Deployment with statuses, review comments and one sticky pull-request comment (only those
// of the account the token acts as, found with GraphQL's viewer), check runs with every annotation,
// and the repository facts images are labelled and tagged with. Rate limits are waited out
// (WaitOutRateLimits); a write the token may not make is a *FallbackError, for the caller to
// report another way. It reads the run's coordinates from the standard GITHUB_* environment and never logs the token.
package github
