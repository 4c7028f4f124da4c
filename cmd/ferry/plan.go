package main

import (
	"bytes"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/ferryml/ferry/reconcile/render"
)

func init() { register(newPlanCmd) }

func newPlanCmd(e *env) *cobra.Command {
	var f projectFlags
	var asJSON, markdown bool
	var out string
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Show what ferry would do to make what exists match the specs",
		Long: `Plan reads the specs (the worktree, or --rev), observes what exists — the
records in git (runs, registered versions, deployments; fetched from the
remote first), the datasets' digests, the exec trainers' code, and what the
serving runtime reports — and prints the actions that would reconcile them:
Train, Evaluate, Gate, Register, Rollout, AdvanceCanary, Rollback, Retire.
Every action says what it touches, why (which input changed) and what it
will write. Plan changes nothing.

--out saves the plan as JSON for 'ferry apply PLAN', which refuses it if the
specs or what exists changed in between.

Exit codes: 0 nothing to do, 1 error, 2 changes planned.`,
		Example: `  ferry plan
  ferry plan --json | jq '.actions[] | {kind, object, reason}'
  ferry plan --out plan.json && ferry apply plan.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			p, err := openProject(e, &f)
			if err != nil {
				return err
			}
			eng, err := p.engine(ctx, e, &f)
			if err != nil {
				return err
			}
			plan, _, err := eng.Plan(ctx)
			if err != nil {
				return err
			}
			if out != "" {
				var b bytes.Buffer
				if err := render.JSON(&b, plan); err != nil {
					return err
				}
				if err := os.WriteFile(out, b.Bytes(), 0o644); err != nil {
					return fmt.Errorf("save plan: %w", err)
				}
				fmt.Fprintf(e.stderr, "saved plan %s to %s\n", plan.ID[:12], out)
			}
			switch {
			case asJSON:
				err = render.JSON(e.stdout, plan)
			case markdown:
				err = render.Markdown(e.stdout, plan)
			default:
				err = render.Text(e.stdout, plan)
			}
			if err != nil {
				return err
			}
			if plan.Changes() {
				return errAction
			}
			return nil
		},
	}
	f.add(cmd, true)
	cmd.Flags().BoolVar(&asJSON, "json", false, "the plan as JSON on stdout")
	cmd.Flags().BoolVar(&markdown, "markdown", false, "the plan as Markdown (for a pull request)")
	cmd.Flags().StringVar(&out, "out", "", "save the plan as JSON to this file")
	return cmd
}
