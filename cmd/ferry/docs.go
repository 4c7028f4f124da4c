package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/ferryml/ferry/internal/docgen"
)

func init() { register(newDocsCmd) }

// newDocsCmd is the hidden command behind `make docs`: it writes the CLI and spec
// reference from the command tree and the spec types (package docgen).
func newDocsCmd(e *env) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:    "docs --out DIR",
		Short:  "Write the CLI and spec reference (make docs)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			files, err := renderReference()
			if err != nil {
				return err
			}
			if err := os.MkdirAll(out, 0o755); err != nil {
				return fmt.Errorf("write reference: %w", err)
			}
			for _, name := range referenceFiles {
				p := filepath.Join(out, name)
				if err := os.WriteFile(p, files[name], 0o644); err != nil {
					return fmt.Errorf("write reference: %w", err)
				}
				fmt.Fprintln(e.stderr, "wrote", p)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "docs/reference", "folder to write cli.md and spec.md into")
	return cmd
}

// referenceFiles are the files renderReference produces, in docs/reference.
var referenceFiles = []string{"cli.md", "spec.md"}

// renderReference renders the reference from a fresh command tree whose
// environment is empty, so flag defaults cannot depend on who runs it.
func renderReference() (map[string][]byte, error) {
	var cli, sp bytes.Buffer
	root := newRoot(&env{stdin: &bytes.Buffer{}, stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}, getenv: func(string) string { return "" }})
	if err := docgen.CLI(&cli, root); err != nil {
		return nil, fmt.Errorf("render CLI reference: %w", err)
	}
	if err := docgen.Spec(&sp); err != nil {
		return nil, fmt.Errorf("render spec reference: %w", err)
	}
	return map[string][]byte{"cli.md": cli.Bytes(), "spec.md": sp.Bytes()}, nil
}
