// Package workspace owns the rule that an action's file inputs name files of the checkout
// (GITHUB_WORKSPACE) and never files beside it, and the paths that actions hand back in outputs.
//
// It does not read or write the files themselves.
package workspace
