package policy

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// ordered returns the checks to show: failed denies, failed warnings, then passes,
// each group in decision order.
func ordered(d *Decision) []Check {
	out := d.Failed()
	for _, c := range d.Checks {
		if c.Passed {
			out = append(out, c)
		}
	}
	return out
}

func summary(d *Decision) string {
	var denies, warns int
	for _, c := range d.Checks {
		switch {
		case c.Denies():
			denies++
		case !c.Passed:
			warns++
		}
	}
	verdict := "allowed"
	if !d.Allow {
		verdict = "denied"
	}
	return fmt.Sprintf("%s: %s, %d denied, %s", verdict, plural(len(d.Checks), "check"), denies, plural(warns, "warning"))
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// WriteText writes a decision as a table for a terminal: one line per check,
// failures first, then a summary line.
func WriteText(w io.Writer, d *Decision) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RESULT\tCHECK\tSEVERITY\tMESSAGE")
	for _, c := range ordered(d) {
		status := "pass"
		switch {
		case c.Denies():
			status = "DENY"
		case !c.Passed:
			status = "WARN"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", status, c.Name, c.Severity, oneLine(c.Message))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintln(w, "gate "+summary(d))
	return err
}

// WriteMarkdown writes a decision for a pull-request comment: a verdict line and
// a table of checks with ✅/❌/⚠️, denies first.
func WriteMarkdown(w io.Writer, d *Decision) error {
	icon := "✅"
	if !d.Allow {
		icon = "❌"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "### %s Gate %s\n\n", icon, summary(d))
	if d.Error != "" {
		fmt.Fprintf(&b, "The gate could not decide and failed closed:\n\n```\n%s\n```\n\n", strings.ReplaceAll(d.Error, "```", "'''"))
	}
	b.WriteString("| | Check | Severity | Message |\n|---|---|---|---|\n")
	for _, c := range ordered(d) {
		mark := "✅"
		switch {
		case c.Denies():
			mark = "❌"
		case !c.Passed:
			mark = "⚠️"
		}
		fmt.Fprintf(&b, "| %s | `%s` | %s | %s |\n", mark, strings.ReplaceAll(c.Name, "`", "'"), c.Severity, cell(c.Message))
	}
	if len(d.Policies) > 0 {
		b.WriteString("\n<details><summary>Policies</summary>\n\n")
		for _, m := range d.Policies {
			fmt.Fprintf(&b, "- `%s` %s\n", m.Path, m.Digest)
		}
		fmt.Fprintf(&b, "\nOPA %s\n</details>\n", d.OPAVersion)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// cell escapes text for a Markdown table cell.
func cell(s string) string {
	s = strings.NewReplacer("|", `\|`, "<", "&lt;", ">", "&gt;").Replace(s)
	return strings.ReplaceAll(strings.TrimSpace(s), "\n", "<br>")
}
