// Package render turns a drift.Report into what people and machines read:
// JSON (the `ferry drift --json` shape), Markdown for a pull request (a table
// of the features sorted by severity) and SVG plots drawn with gonum/plot
// (the reference's and current data's histograms of a drifted feature, and a
// bar chart of the test statistic per feature with its threshold line).
//
// Rendering is kept apart from computing: drift produces the Report value,
// and nothing here changes it. Every renderer writes the same bytes for the
// same report, so reports can be committed to git and compared.
package render
