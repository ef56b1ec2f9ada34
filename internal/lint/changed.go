package lint

import (
	"context"
	"fmt"
	"strings"
)

// Changes maps a workspace-relative file to the line ranges a pull request added or changed in it.
type Changes map[string][]LineRange

// LineRange is an inclusive range of lines.
type LineRange struct{ Start, End int }

// Touches reports whether a finding lies on a changed line (a formatter finding: overlaps one).
func (c Changes) Touches(f Finding) bool {
	ranges, ok := c[f.File]
	if !ok {
		return false
	}
	if f.Line == 0 {
		return true
	}
	end := f.Line
	if f.Tool == "black" || f.Tool == "isort" || f.Tool == "ruff-format" {
		end = max(f.EndLine, f.Line)
	}
	for _, r := range ranges {
		if f.Line <= r.End && end >= r.Start {
			return true
		}
	}
	return false
}

// ChangedLines returns the lines changed between base and HEAD in the git repository at dir, by the
// diff of their merge base against HEAD (what a pull request changes, whatever moved on the base
// since). base may be a branch, a tag or a SHA; the history back to the merge base must be fetched
// (actions/checkout with fetch-depth: 0).
func ChangedLines(ctx context.Context, dir, workspace, base string) (Changes, error) {
	top, err := git(ctx, dir, "rev-parse", "--show-toplevel")
	if err != nil {
		return nil, err
	}
	top = strings.TrimSpace(top)
	mergeBase, err := git(ctx, dir, "merge-base", base, "HEAD")
	if err != nil {
		return nil, fmt.Errorf("no merge base of %q and HEAD (fetch the history: actions/checkout with fetch-depth: 0): %w", base, err)
	}
	mergeBase = strings.TrimSpace(mergeBase)
	diff, err := git(ctx, dir, "diff", "--unified=0", "--no-color", "--no-ext-diff", "--no-textconv", "--find-renames", mergeBase, "HEAD", "--")
	if err != nil {
		return nil, err
	}
	rel := relativeTo(workspace, top)
	changes := Changes{}
	for _, f := range parseUnifiedDiff(diff, true) {
		if f.NewPath == "" {
			continue // deleted
		}
		file := rel(f.NewPath)
		for _, h := range f.Hunks {
			if h.NewLines == 0 {
				continue // pure deletion: no line of the new file changed
			}
			changes[file] = append(changes[file], LineRange{h.NewStart, h.NewStart + h.NewLines - 1})
		}
		if _, ok := changes[file]; !ok && len(f.Hunks) == 0 {
			changes[file] = nil // renamed or mode change only: the file is in the diff, no line is
		}
	}
	return changes, nil
}

// PullRequestBase picks the base to diff against on a pull_request event: GitHub checks out a merge
// commit whose first parent is the base branch, which needs only fetch-depth: 2; otherwise the remote
// base branch.
func PullRequestBase(ctx context.Context, dir, baseRef string) string {
	if parents, err := git(ctx, dir, "rev-list", "--parents", "-n", "1", "HEAD"); err == nil && len(strings.Fields(parents)) == 3 {
		return "HEAD^1"
	}
	return "origin/" + baseRef
}
