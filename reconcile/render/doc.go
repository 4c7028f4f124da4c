// Package render turns a reconcile.Plan into text for a terminal, JSON for
// machines and Markdown for pull requests. Computing a plan and showing it are
// kept apart: the plan is a value, and each renderer reads only that value.
package render
