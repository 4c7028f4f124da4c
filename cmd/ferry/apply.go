package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ferryml/ferry/reconcile"
	"github.com/ferryml/ferry/reconcile/render"
)

func init() { register(newApplyCmd) }

// applyJSON is `ferry apply --json`.
type applyJSON struct {
	Plan       string   `json:"plan"`
	Actions    int      `json:"actions"`
	Registered []string `json:"registered"`
	Denied     []string `json:"denied"`
	Deployed   []string `json:"deployed"`
	Skipped    []string `json:"skipped"`
	Commits    []string `json:"commits"`
	Branch     string   `json:"branch"`
}

func newApplyCmd(e *env) *cobra.Command {
	var f projectFlags
	var autoApprove, asJSON bool
	cmd := &cobra.Command{
		Use:   "apply [PLAN]",
		Short: "Apply a plan: train, evaluate, gate, register, roll out; records back to git",
		Long: `Apply computes the plan (or reads the one saved by 'ferry plan --out PLAN'),
and executes it in order: Train, Evaluate and Gate each new run, Register what
the gate allows under the next version number, then Rollout, AdvanceCanary,
Rollback and Retire on the serving runtime. Results are written as records
and committed on top of the remote's current head: pushed to the base branch
with 'git.commit: direct', or to the branch ferry/<base> with 'commit:
pull-request'. When someone else pushed first, ferry re-reads the records
there and rebuilds its commit (version numbers stay unique); it never
force-pushes.

A saved PLAN is refused when the specs or what exists changed since it was
made. Without a PLAN, apply shows the plan and asks for "yes" unless
--auto-approve. Finished actions are journaled under .ferry/journal, so an
apply that crashed resumes without retraining; one apply runs per
repository at a time (.ferry/apply.lock).

Exit codes: 0 applied (or nothing to do), 1 error, 2 a gate denied a candidate.`,
		Example: `  ferry apply --auto-approve
  ferry plan --out plan.json && ferry apply plan.json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			p, eng, plan, st, err := planProject(ctx, e, &f)
			if err != nil {
				return err
			}
			if len(args) == 1 {
				data, err := os.ReadFile(args[0])
				if err != nil {
					return fmt.Errorf("read plan: %w", err)
				}
				saved, err := reconcile.ReadPlan(data)
				if err != nil {
					return fmt.Errorf("%s: %w", args[0], err)
				}
				switch {
				case saved.Desired != plan.Desired:
					return fmt.Errorf("%s is stale: the specs changed since it was made; run ferry plan again", args[0])
				case saved.Observed != plan.Observed:
					return fmt.Errorf("%s is stale: what exists changed since it was made (records, datasets, code or the runtime); run ferry plan again", args[0])
				}
				plan = saved
			} else {
				w := e.stdout
				if asJSON {
					w = e.stderr
				}
				if err := render.Text(w, plan); err != nil {
					return err
				}
				if plan.Changes() && !autoApprove {
					fmt.Fprint(e.stderr, "\nApply these actions? Only 'yes' is accepted: ")
					line, _ := bufio.NewReader(e.stdin).ReadString('\n')
					if strings.TrimSpace(line) != "yes" {
						return errors.New("apply cancelled")
					}
				}
			}
			if !plan.Changes() {
				if asJSON {
					return json.NewEncoder(e.stdout).Encode(applyJSON{Plan: plan.ID, Registered: []string{}, Denied: []string{},
						Deployed: []string{}, Skipped: []string{}, Commits: []string{}, Branch: p.publish.Branch})
				}
				return nil
			}
			res, err := eng.Apply(ctx, plan, st)
			if res != nil {
				if asJSON {
					out := applyJSON{Plan: plan.ID, Actions: len(plan.Actions), Registered: strs(res.Registered), Denied: strs(res.Denied),
						Deployed: strs(res.Deployed), Skipped: strs(res.Skipped), Commits: []string{}, Branch: p.publish.Branch}
					for _, c := range res.Commits {
						out.Commits = append(out.Commits, c.String())
					}
					if jerr := json.NewEncoder(e.stdout).Encode(out); jerr != nil && err == nil {
						err = jerr
					}
				} else {
					fmt.Fprintln(e.stdout)
					printApplied(e.stdout, res, p)
				}
			}
			if err != nil {
				return err
			}
			if err := openRecordsPR(ctx, e, p, res, plan); err != nil {
				return err
			}
			if len(res.Denied) > 0 {
				return errAction
			}
			return nil
		},
	}
	f.add(cmd, true)
	cmd.Flags().BoolVar(&autoApprove, "auto-approve", false, "apply without asking")
	cmd.Flags().BoolVar(&asJSON, "json", false, "the result as JSON on stdout (the plan goes to stderr)")
	return cmd
}

func strs(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
