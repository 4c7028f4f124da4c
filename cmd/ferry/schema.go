package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/ferryml/ferry/spec"
)

func init() { register(newSchemaCmd) }

func newSchemaCmd(e *env) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "schema",
		Short: "Write the JSON Schema of each spec kind",
		Long: `Schema prints a JSON Schema (draft 2020-12) for each kind — Project, Dataset,
Model, Experiment, Deployment, Monitor — generated from ferry's Go types, so
editors can complete and check spec files.

Without --out, all schemas go to stdout as one JSON object keyed by kind. With
--out DIR, each kind goes to DIR/ferry.dev.v1.<Kind>.schema.json.

The schemas check the shape of one document; ferry validate also checks what a
schema cannot: references between objects, paths, schedules and durations.`,
		Example: `  ferry schema --out .schemas
  # VS Code (redhat.vscode-yaml), settings.json:
  #   "yaml.schemas": {".schemas/ferry.dev.v1.Model.schema.json": "models/*.yaml"}
  ferry schema | jq '.Deployment.properties.spec'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			schemas := map[string]any{}
			for _, k := range spec.Kinds {
				s, err := spec.Schema(k)
				if err != nil {
					return err
				}
				schemas[string(k)] = s
			}
			if out == "" {
				enc := json.NewEncoder(e.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(schemas)
			}
			if err := os.MkdirAll(out, 0o755); err != nil {
				return fmt.Errorf("write schemas: %w", err)
			}
			for _, k := range spec.Kinds {
				b, err := json.MarshalIndent(schemas[string(k)], "", "  ")
				if err != nil {
					return err
				}
				p := filepath.Join(out, spec.SchemaFile(k))
				if err := os.WriteFile(p, append(b, '\n'), 0o644); err != nil {
					return fmt.Errorf("write schemas: %w", err)
				}
				fmt.Fprintln(e.stderr, "wrote", p)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "write one file per kind into this folder")
	return cmd
}
