// Package actioncheck holds the tests that lint ferry's GitHub Action
// (action.yml at the repository root) and the example workflows in
// examples/github/workflows with actionlint, so a broken expression, an unknown
// input or an untrusted value interpolated into a script fails `make test`.
package actioncheck
