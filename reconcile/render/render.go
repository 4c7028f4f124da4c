package render

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/ferryml/ferry/reconcile"
	"github.com/ferryml/ferry/reconcile/records"
)

// JSON writes the plan in its stable JSON shape (schema 1), indented.
func JSON(w io.Writer, p *reconcile.Plan) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(p)
}

func symbol(k reconcile.ActionKind) string {
	switch {
	case k.IsDestructive():
		return "-"
	case k == reconcile.Train || k == reconcile.Register:
		return "+"
	}
	return "~"
}

// Text writes the plan for a terminal: every action with what it touches, why,
// and what it will write; then the notes and a summary line.
func Text(w io.Writer, p *reconcile.Plan) error {
	var b strings.Builder
	if !p.Changes() {
		b.WriteString("No changes. What exists matches the specs.\n")
	} else {
		fmt.Fprintf(&b, "ferry will perform %d action(s) (plan %s):\n\n", len(p.Actions), short(p.ID))
		for i, a := range p.Actions {
			fmt.Fprintf(&b, "  %s %-13s %s", symbol(a.Kind), a.Kind, a.Object)
			if a.Conditional != "" {
				fmt.Fprintf(&b, "  (%s)", a.Conditional)
			}
			if a.Kind.IsDestructive() {
				b.WriteString("  [destructive]")
			}
			b.WriteString("\n")
			fmt.Fprintf(&b, "      why:    %s\n", a.Reason)
			if r := a.Rollout; r != nil {
				fmt.Fprintf(&b, "      serve:  %s → %s\n", live(r.From), live(r.To))
			}
			if len(a.Writes) > 0 {
				fmt.Fprintf(&b, "      writes: %s\n", strings.Join(a.Writes, "\n              "))
			}
			fmt.Fprintf(&b, "      key:    %s\n", a.Key)
			if i < len(p.Actions)-1 {
				b.WriteString("\n")
			}
		}
	}
	if len(p.Notes) > 0 {
		b.WriteString("\nNotes:\n")
		for _, n := range p.Notes {
			fmt.Fprintf(&b, "  %s: %s\n", n.Object, n.Message)
		}
	}
	if p.Changes() {
		fmt.Fprintf(&b, "\nPlan: %s.\n", Summary(p))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Summary is a one-line count of the plan's actions by kind, e.g.
// "1 train, 1 evaluate, 1 gate, 1 register, 1 rollout".
func Summary(p *reconcile.Plan) string {
	n := p.Count()
	var parts []string
	destructive := 0
	for _, k := range reconcile.ActionKinds {
		if n[k] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n[k], strings.ToLower(k.String())))
		}
		if k.IsDestructive() {
			destructive += n[k]
		}
	}
	if len(parts) == 0 {
		return "nothing to do"
	}
	return fmt.Sprintf("%s (%d destructive)", strings.Join(parts, ", "), destructive)
}

// Markdown writes the plan for a pull request comment or body.
func Markdown(w io.Writer, p *reconcile.Plan) error {
	var b strings.Builder
	b.WriteString("### ferry plan\n\n")
	if !p.Changes() {
		b.WriteString("No changes. What exists matches the specs.\n")
	} else {
		fmt.Fprintf(&b, "**%s** · plan `%s`\n\n", Summary(p), short(p.ID))
		b.WriteString("| | action | object | why | writes |\n|---|---|---|---|---|\n")
		for _, a := range p.Actions {
			why := a.Reason
			if a.Conditional != "" {
				why += " _(" + a.Conditional + ")_"
			}
			if r := a.Rollout; r != nil {
				why += fmt.Sprintf(" — %s → %s", live(r.From), live(r.To))
			}
			mark := ""
			if a.Kind.IsDestructive() {
				mark = "⚠️"
			}
			fmt.Fprintf(&b, "| %s | %s | `%s` | %s | %s |\n", mark, a.Kind, a.Object, cell(why), cell(code(a.Writes)))
		}
	}
	if len(p.Notes) > 0 {
		b.WriteString("\n<details><summary>Notes</summary>\n\n")
		for _, n := range p.Notes {
			fmt.Fprintf(&b, "- `%s`: %s\n", n.Object, n.Message)
		}
		b.WriteString("\n</details>\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func code(ws []string) string {
	var out []string
	for _, s := range ws {
		out = append(out, "`"+s+"`")
	}
	return strings.Join(out, "<br>")
}

func cell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", "<br>").Replace(s)
}

func live(l []records.LiveVersion) string {
	if len(l) == 0 {
		return "nothing"
	}
	var parts []string
	for _, x := range l {
		parts = append(parts, fmt.Sprintf("v%d@%d%%", x.Version, x.Weight))
	}
	return strings.Join(parts, "+")
}

func short(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
