// Package docgen renders ferry's reference documentation from the code, so the
// reference cannot drift from what the binary does:
//
//   - [CLI] renders the cobra command tree (every visible command with its
//     usage, description, examples, flags and exit codes) as docs/reference/cli.md;
//   - [Spec] renders the JSON Schema that spec.Schema generates from the Go
//     types (the same one `ferry schema` prints) as a Markdown field table per
//     kind, docs/reference/spec.md.
//
// Output is deterministic: the same code gives the same bytes. The hidden
// `ferry docs --out DIR` command (cmd/ferry/docs.go) writes both files, `make
// docs` runs it, and a test in cmd/ferry fails when the committed reference is
// stale.
package docgen
