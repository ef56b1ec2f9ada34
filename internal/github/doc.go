// Package github is slipway's use of the GitHub API through go-github: recording a deploy as a
// GitHub Deployment with statuses, review comments (only those of the account the token acts as,
// found with GraphQL's viewer), and the repository facts images are labelled and tagged with. It
// reads the run's coordinates from the standard GITHUB_* environment and never logs the token.
package github
