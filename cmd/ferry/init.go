package main

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"
)

func init() { register(newInitCmd) }

// project is the scaffold `ferry init` writes. "gitignore" becomes ".gitignore"
// (embed leaves out dot files).
//
//go:embed templates/project
var project embed.FS

const projectRoot = "templates/project"

func newInitCmd(e *env) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "init [DIR]",
		Short: "Scaffold a small working project",
		Long: `Init writes a small project that ferry validate accepts and the rest of ferry
can run end to end: ferry.yaml, a dataset with a committed CSV (333 Palmer
penguins), a binary-classification model with its evaluation gate, a
logistic-regression experiment, a direct deployment, a drift monitor, and an
example gate rule in policies/.

DIR defaults to the current folder and is created if missing. Init never
overwrites a file unless --force is given; it lists the files in the way.`,
		Example: `  ferry init my-models && cd my-models && ferry validate
  ferry init --force .`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := "."
			if len(args) == 1 {
				dir = args[0]
			}
			files, err := scaffold()
			if err != nil {
				return err
			}
			var names []string
			for name := range files {
				names = append(names, name)
			}
			sort.Strings(names)
			if !force {
				var exist []string
				for _, name := range names {
					if name == ".gitignore" {
						continue // appended to, never replaced
					}
					if _, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(name))); err == nil {
						exist = append(exist, name)
					}
				}
				if len(exist) > 0 {
					return fmt.Errorf("init %s: refusing to overwrite %s (use --force to overwrite)", dir, strings.Join(exist, ", "))
				}
			}
			for _, name := range names {
				p := filepath.Join(dir, filepath.FromSlash(name))
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					return fmt.Errorf("init %s: %w", dir, err)
				}
				data := files[name]
				if name == ".gitignore" {
					data = mergeGitignore(p, data)
				}
				if err := os.WriteFile(p, data, 0o644); err != nil {
					return fmt.Errorf("init %s: %w", dir, err)
				}
				fmt.Fprintln(e.stderr, "wrote", filepath.ToSlash(filepath.Join(dir, name)))
			}
			fmt.Fprintf(e.stderr, "\nnext: cd %s && ferry validate && ferry plan\n", dir)
			return nil
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "overwrite existing files")
	return cmd
}

// scaffold returns the project's files by slash path.
func scaffold() (map[string][]byte, error) {
	files := map[string][]byte{}
	err := fs.WalkDir(project, projectRoot, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := project.ReadFile(p)
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(p, projectRoot+"/")
		if path.Base(name) == "gitignore" {
			name = path.Join(path.Dir(name), ".gitignore")
		}
		files[name] = data
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read project template: %w", err)
	}
	return files, nil
}

// mergeGitignore appends the template's lines that an existing .gitignore lacks.
func mergeGitignore(p string, tmpl []byte) []byte {
	old, err := os.ReadFile(p)
	if err != nil {
		return tmpl
	}
	have := map[string]bool{}
	for _, l := range strings.Split(string(old), "\n") {
		have[strings.TrimSpace(l)] = true
	}
	var add bytes.Buffer
	for _, l := range strings.Split(strings.TrimSpace(string(tmpl)), "\n") {
		if !have[strings.TrimSpace(l)] && !strings.HasPrefix(l, "#") {
			add.WriteString(l + "\n")
		}
	}
	if add.Len() == 0 {
		return old
	}
	if len(old) > 0 && old[len(old)-1] != '\n' {
		old = append(old, '\n')
	}
	return append(old, add.Bytes()...)
}
