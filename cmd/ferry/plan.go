package main

import (
	"bytes"
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/ferryml/ferry/reconcile"
	"github.com/ferryml/ferry/reconcile/render"
	"github.com/ferryml/ferry/spec"
)

func init() { register(newPlanCmd) }

func newPlanCmd(e *env) *cobra.Command {
	var f projectFlags
	var asJSON, markdown, evaluate, noExec bool
	var out string
	var pr int
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

--evaluate goes one step further and previews the candidates: it trains them
(or reuses runs with identical inputs), evaluates them and runs the gate
against the version serving production, and shows each candidate's metrics
against production with every gate check. Nothing is registered or
deployed; the apply that follows reuses the trained models and verdicts.

--pr N (implies --evaluate) posts the plan as one comment on pull request N —
edited in place on every run, never a new one — and sets the ferry/gate check
on the pull request's head commit, which branch protection can require. It
needs github.repository in ferry.yaml (or GITHUB_REPOSITORY) and
GITHUB_TOKEN; GITHUB_API_URL selects GitHub Enterprise. A pull request from
a fork, or a read-only token, gets the report in $GITHUB_STEP_SUMMARY
instead, and ferry says so.

Exit codes: 0 nothing to do, 1 error, 2 changes planned (or a candidate
denied by the gate).`,
		Example: `  ferry plan
  ferry plan --evaluate
  GITHUB_TOKEN=... ferry plan --pr 42
  ferry plan --json | jq '.actions[] | {kind, object, reason}'
  ferry plan --out plan.json && ferry apply plan.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			p, eng, plan, st, err := planProject(ctx, e, &f)
			if err != nil {
				return err
			}
			if evaluate || pr > 0 {
				if err := preview(ctx, eng, plan, st, p, noExec); err != nil {
					return err
				}
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
				err = render.Comment(e.stdout, plan, plan.Candidates)
			default:
				if err = render.Text(e.stdout, plan); err == nil {
					err = render.CandidatesText(e.stdout, plan.Candidates)
				}
			}
			if err != nil {
				return err
			}
			if pr > 0 {
				if err := postPlan(ctx, e, p, pr, plan); err != nil {
					return err
				}
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
	cmd.Flags().BoolVar(&evaluate, "evaluate", false, "train, evaluate and gate the candidates, and show them against production")
	cmd.Flags().BoolVar(&noExec, "no-exec", false, "never run exec trainers' code while previewing (pull requests from forks); their candidates are listed, not trained")
	cmd.Flags().IntVar(&pr, "pr", 0, "post the plan as a comment on this pull request and set the ferry/gate check (implies --evaluate)")
	return cmd
}

// preview trains, evaluates and gates the plan's candidates. With noExec, the
// candidates of exec trainers — code from the pull request — are left out and
// the plan says so.
func preview(ctx context.Context, eng *reconcile.Engine, plan *reconcile.Plan, st *reconcile.State, p *ferryProject, noExec bool) error {
	run := plan
	if noExec {
		cp := *plan
		cp.Actions = nil
		skipped := map[string]bool{}
		for _, a := range plan.Actions {
			if a.Run != nil {
				if x := p.set.Experiment(a.Run.Experiment); x != nil && x.Spec.Trainer.Exec != nil {
					if !skipped[x.Metadata.Name] {
						skipped[x.Metadata.Name] = true
						plan.Notes = append(plan.Notes, reconcile.Note{Object: reconcile.Ref{Kind: spec.KindExperiment, Name: x.Metadata.Name},
							Message: "exec trainer not run (--no-exec): its candidate is not evaluated here"})
					}
					continue
				}
			}
			cp.Actions = append(cp.Actions, a)
		}
		run = &cp
	}
	if _, err := eng.Preview(ctx, run, st); err != nil {
		return err
	}
	plan.Candidates, plan.Gate = run.Candidates, run.Gate
	return nil
}
