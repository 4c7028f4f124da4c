package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

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
