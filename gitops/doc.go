// Package gitops is ferry's git layer, on go-git: it reads specs and records at
// any revision without a checkout, lists what changed between revisions, and
// writes ferry's records back as commits that it pushes.
//
// # Reading
//
// Repo.FS returns the tree of a revision as an fs.FS, so spec.Load reads any
// commit. Repo.Changed lists the paths that differ between two revisions.
//
// # Writing
//
// Repo.Commit builds a commit from a parent and a Changeset (path → bytes, and
// deletions) directly in the object store: the user's worktree and index are
// never touched. Publish fetches, asks a callback to build the changeset on the
// remote's current head, commits and pushes; when the push is rejected as not a
// fast-forward (someone else pushed first) it fetches again, calls the callback
// again on the new head (the caller re-plans), and retries with backoff a
// bounded number of times. It never force-pushes.
//
// The GitHub half (pull requests, comments, check runs) lives beside this in
// the same package.
package gitops
