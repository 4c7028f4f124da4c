package main

import (
	"errors"
	"fmt"
	"io"
	"sort"

	"github.com/spf13/cobra"
)

// Exit codes are part of ferry's interface: scripts and the GitHub Action key off them.
const (
	exitOK     = 0 // success, nothing to do
	exitError  = 1 // an error
	exitAction = 2 // something to act on: changes planned, gate denied, drift found
)

// errAction is returned by a command that succeeded and found something to act on;
// it maps to exit code 2 and prints nothing.
var errAction = errors.New("something to act on")

// exitError carries an explicit code for errors that are already reported.
type codeError struct {
	code int
	err  error
}

func (e *codeError) Error() string { return e.err.Error() }
func (e *codeError) Unwrap() error { return e.err }

// env is what commands may touch of the process: its streams and environment.
// Commands never read os.Stdout or os.Getenv directly, so tests run them in-process.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
}

// commands holds constructors of the subcommands. Each command's file registers
// itself in an init function, so adding a command touches only its own file.
var commands []func(*env) *cobra.Command

func register(c func(*env) *cobra.Command) { commands = append(commands, c) }

func newRoot(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:   "ferry",
		Short: "GitOps reconciler for machine-learning models",
		Long: `ferry reads model, dataset, experiment, deployment and monitor specs from a git
repository, diffs them against what exists (runs, registered versions, what is
serving, what production traffic looks like) into a plan, applies it, and writes
every result back to git as records: runs, the model registry, evaluation reports,
gate decisions and drift reports.

Exit codes: 0 success or nothing to do, 1 error, 2 something to act on
(changes planned, gate denied, drift found).`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(e.stdin)
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	fixFlagUsages(root)
	var cmds []*cobra.Command
	for _, c := range commands {
		cmds = append(cmds, c(e))
	}
	sort.Slice(cmds, func(i, j int) bool { return cmds[i].Name() < cmds[j].Name() })
	root.AddCommand(cmds...)
	return root
}

// Main runs ferry with args and returns the exit code. Errors are printed once, here.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv ...func(string) string) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr, getenv: osGetenv}
	if len(getenv) > 0 {
		e.getenv = getenv[0]
	}
	root := newRoot(e)
	root.SetArgs(args)
	err := root.Execute()
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errAction):
		return exitAction
	}
	var ce *codeError
	if errors.As(err, &ce) {
		if ce.err != nil && !errors.Is(ce.err, errAction) {
			fmt.Fprintln(stderr, "ferry:", ce.err)
		}
		return ce.code
	}
	fmt.Fprintln(stderr, "ferry:", err)
	return exitError
}
