package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ferryml/ferry/runners/train"
	"github.com/ferryml/ferry/spec"
)

func init() { register(newValidateCmd) }

// validateJSON is `ferry validate --json`.
type validateJSON struct {
	Valid   bool            `json:"valid"`
	Errors  []validateError `json:"errors"`
	Objects map[string]int  `json:"objects"`
}

type validateError struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Message string `json:"message"`
}

func newValidateCmd(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "validate [DIR]",
		Short: "Parse and check every spec of a project",
		Long: `Validate reads every YAML file under DIR, decodes
the documents whose apiVersion is ferry.dev/v1 and checks them: unknown fields,
wrong types and values, names, duplicates, references between objects, paths,
canary steps, schedules, durations, thresholds and builtin trainers' params.

Without DIR, the project is the nearest folder holding ferry.yaml at or above
the current one. Every problem is printed as file:line:col: message, sorted,
with paths relative to DIR (or to the current folder). Other YAML (workflows,
Kubernetes manifests) is ignored.

Exit codes: 0 valid, 1 problems found (or DIR cannot be read).`,
		Example: `  ferry validate
  ferry validate examples/flights
  ferry validate --json | jq '.errors[].message'`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir, prefix := ".", ""
			if len(args) == 1 {
				dir = args[0]
			} else if root, err := spec.FindRoot("."); err == nil {
				// Report paths as seen from here, so editors can open them.
				if cwd, err := filepath.Abs("."); err == nil && root != cwd {
					if rel, err := filepath.Rel(cwd, root); err == nil {
						dir, prefix = rel, filepath.ToSlash(rel)+"/"
					}
				}
			}
			set, err := spec.LoadDir(dir)
			var list spec.ErrorList
			if err != nil && !errors.As(err, &list) {
				if !asJSON {
					return err
				}
				// Machines get JSON whatever went wrong.
				list = spec.ErrorList{{Msg: err.Error()}}
			}
			list = append(list, checkTrainerParams(set)...)
			list.Sort()
			for _, le := range list {
				if le.File != "" {
					le.File = prefix + le.File
				}
			}
			if asJSON {
				out := validateJSON{Valid: len(list) == 0, Errors: []validateError{}, Objects: counts(set)}
				for _, le := range list {
					out.Errors = append(out.Errors, validateError{File: le.File, Line: le.Line, Column: le.Col, Message: le.Msg})
				}
				enc := json.NewEncoder(e.stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(out); err != nil {
					return err
				}
				if len(list) > 0 {
					return &codeError{code: exitError}
				}
				return nil
			}
			if len(list) > 0 {
				for _, le := range list {
					fmt.Fprintln(e.stderr, le)
				}
				noun := "problems"
				if len(list) == 1 {
					noun = "problem"
				}
				fmt.Fprintf(e.stderr, "%d %s in %s\n", len(list), noun, filepath.Clean(dir))
				return &codeError{code: exitError}
			}
			fmt.Fprintf(e.stderr, "ok: %s\n", summary(set))
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "machine-readable result on stdout")
	return cmd
}

// checkTrainerParams checks builtin trainers' params the way training will, at the
// line of each param: spec cannot know the trainers, so the CLI joins the two.
func checkTrainerParams(set *spec.Set) spec.ErrorList {
	var list spec.ErrorList
	if set == nil {
		return nil
	}
	for _, e := range set.Experiments {
		tr := e.Spec.Trainer
		if tr.Exec != nil || !slices.Contains(train.Trainers, tr.Builtin) || len(tr.Params) == 0 {
			continue
		}
		bad := false
		for _, k := range slices.Sorted(maps.Keys(tr.Params)) {
			if err := train.CheckParams(tr.Builtin, map[string]any{k: tr.Params[k]}); err != nil {
				field := "spec.trainer.params." + k
				msg := strings.TrimPrefix(err.Error(), "param "+k+": ")
				list = append(list, spec.ErrorAt(set.Pos(e, field), "%s: %s", field, msg))
				bad = true
			}
		}
		// Constraints between params show only when each is fine on its own.
		if err := train.CheckParams(tr.Builtin, tr.Params); err != nil && !bad {
			list = append(list, spec.ErrorAt(set.Pos(e, "spec.trainer.params"), "spec.trainer.params: %v", err))
		}
	}
	return list
}

// counts is the number of objects of each kind, keyed like the spec's folders.
func counts(s *spec.Set) map[string]int {
	m := map[string]int{"projects": 0, "datasets": 0, "models": 0, "experiments": 0, "deployments": 0, "monitors": 0}
	if s == nil {
		return m
	}
	if s.Project != nil {
		m["projects"] = 1
	}
	m["datasets"] = len(s.Datasets)
	m["models"] = len(s.Models)
	m["experiments"] = len(s.Experiments)
	m["deployments"] = len(s.Deployments)
	m["monitors"] = len(s.Monitors)
	return m
}

// summary reads "1 project, 2 datasets, 1 model, ...".
func summary(s *spec.Set) string {
	c := counts(s)
	var parts []string
	for _, k := range []struct{ key, one string }{
		{"projects", "project"}, {"datasets", "dataset"}, {"models", "model"},
		{"experiments", "experiment"}, {"deployments", "deployment"}, {"monitors", "monitor"},
	} {
		n := c[k.key]
		noun := k.key
		if n == 1 {
			noun = k.one
		}
		parts = append(parts, fmt.Sprintf("%d %s", n, noun))
	}
	return strings.Join(parts, ", ")
}
