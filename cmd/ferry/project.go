package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ferryml/ferry/reconcile"
	"github.com/ferryml/ferry/spec"
)

// errNoProject wraps a failure to find ferry.yaml, so a command can add its
// own hint.
var errNoProject = errors.New("no ferry project")

// loadProject finds the project holding dir (the current folder when empty) by
// walking up to ferry.yaml, and loads its specs.
func loadProject(dir string) (root string, set *spec.Set, err error) {
	if dir == "" {
		if dir, err = os.Getwd(); err != nil {
			return "", nil, err
		}
	}
	if root, err = spec.FindRoot(dir); err != nil {
		return "", nil, fmt.Errorf("%w: %w", errNoProject, err)
	}
	root, _ = filepath.Abs(root)
	if set, err = spec.LoadDir(root); err != nil {
		return "", nil, err
	}
	if set.Project == nil {
		return "", nil, fmt.Errorf("%s: no Project in ferry.yaml", root)
	}
	return root, set, nil
}

// planProject opens the project, wires its engine and computes the plan: the
// start of plan, apply and every reconcile pass.
func planProject(ctx context.Context, e *env, f *projectFlags) (*ferryProject, *reconcile.Engine, *reconcile.Plan, *reconcile.State, error) {
	p, err := openProject(e, f)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	eng, err := p.engine(ctx, e, f)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	plan, st, err := eng.Plan(ctx)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	return p, eng, plan, st, nil
}
