package render

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/ferryml/ferry/drift"
)

// MarkdownOptions tune the Markdown report.
type MarkdownOptions struct {
	// Title heads the report (default "Drift report").
	Title string
	// Images maps a feature name (or StatisticPlot) to an image path to link
	// under the table; features without one get no image.
	Images map[string]string
}

// StatisticPlot is the Images key of the per-feature statistic chart.
const StatisticPlot = "statistic"

// BySeverity returns the features most drifted first: drifted before not,
// then by severity, then by name.
func BySeverity(fs []*drift.FeatureResult) []*drift.FeatureResult {
	out := slices.Clone(fs)
	slices.SortStableFunc(out, func(a, b *drift.FeatureResult) int {
		if a.Drift != b.Drift {
			if a.Drift {
				return -1
			}
			return 1
		}
		if c := cmp.Compare(sev(b), sev(a)); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out
}

func sev(f *drift.FeatureResult) float64 {
	if s := float64(f.Severity); !math.IsNaN(s) {
		return s
	}
	return -1
}

// Markdown writes the report for a pull request: a summary line, a table of
// the features sorted by severity, the prediction's drift, notes and image
// links.
func Markdown(w io.Writer, r *drift.Report, opts MarkdownOptions) error {
	title := cmp.Or(opts.Title, "Drift report")
	var b strings.Builder
	fmt.Fprintf(&b, "## %s\n\n", title)
	verdict := "no feature drifted"
	switch {
	case r.Drifted == 1:
		verdict = "**1 feature drifted**"
	case r.Drifted > 1:
		verdict = fmt.Sprintf("**%d features drifted**", r.Drifted)
	}
	fmt.Fprintf(&b, "%s of %d · reference %s rows · current %s rows\n\n",
		verdict, len(r.Features), thousands(r.Reference.Rows), thousands(r.Current.Rows))
	b.WriteString("| Feature | Type | Test | Value | Threshold | Drift | PSI | JS | KS / χ² p-value | Wasserstein | Notes |\n")
	b.WriteString("|---|---|---|---:|---:|:---:|---:|---:|---:|---:|---|\n")
	for _, f := range BySeverity(r.Features) {
		row(&b, f)
	}
	if p := r.Prediction; p != nil {
		b.WriteString("\n### Prediction\n\n")
		b.WriteString("| Output | Type | Test | Value | Threshold | Drift | PSI | JS | KS / χ² p-value | Wasserstein | Notes |\n")
		b.WriteString("|---|---|---|---:|---:|:---:|---:|---:|---:|---:|---|\n")
		row(&b, p)
	}
	if len(r.Notes) > 0 {
		b.WriteString("\n")
		for _, n := range r.Notes {
			fmt.Fprintf(&b, "- %s\n", n)
		}
	}
	var imgs []string
	if src, ok := opts.Images[StatisticPlot]; ok {
		imgs = append(imgs, fmt.Sprintf("![statistic per feature](%s)", src))
	}
	for _, f := range BySeverity(r.Features) {
		if src, ok := opts.Images[f.Name]; ok {
			imgs = append(imgs, fmt.Sprintf("![%s: reference vs current](%s)", escape(f.Name), src))
		}
	}
	if len(imgs) > 0 {
		b.WriteString("\n" + strings.Join(imgs, "\n") + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func row(b *strings.Builder, f *drift.FeatureResult) {
	mark := "no"
	if f.Drift {
		mark = "**yes**"
	}
	p := "–"
	switch {
	case f.KS != nil:
		p = num(float64(f.KS.PValue))
	case f.Chi2 != nil:
		p = num(float64(f.Chi2.PValue))
	}
	wd := "–"
	if f.Wasserstein != nil {
		wd = num(float64(*f.Wasserstein))
	}
	notes := slices.Clone(f.Notes)
	if len(f.Unseen) > 0 {
		notes = append(notes, "unseen: "+strings.Join(f.Unseen, ", "))
	}
	th := num(f.Threshold)
	if f.Test == "ks" || f.Test == "chi2" {
		th = "p < " + th
	}
	fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
		escape(f.Name), f.Type, f.Test, num(f.Statistic()), th, mark,
		num(float64(f.PSI)), num(float64(f.JS)), p, wd, escape(strings.Join(notes, "; ")))
}

// num prints a statistic with four significant digits; "–" when undefined.
func num(v float64) string {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return "–"
	case v == 0:
		return "0"
	case math.Abs(v) < 1e-4 || math.Abs(v) >= 1e6:
		return strconv.FormatFloat(v, 'e', 2, 64)
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

func thousands(n int) string {
	s := strconv.Itoa(n)
	var out []byte
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 && s[i-1] != '-' {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}

// escape keeps user text from breaking the table.
func escape(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "\n", " ")
}
