package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/ferryml/ferry/eval"
	"github.com/ferryml/ferry/policy"
	"github.com/ferryml/ferry/spec"
)

func init() { register(newGateCmd) }

func newGateCmd(e *env) *cobra.Command {
	var (
		candidate, baseline, params string
		policies                    []string
		asJSON, markdown            bool
		timeout                     time.Duration
	)
	cmd := &cobra.Command{
		Use:   "gate --candidate EVAL.json [--baseline EVAL.json] [--params GATE.yaml] [--policy PATH]... [--json]",
		Short: "Decide whether a candidate model may be promoted",
		Long: `gate runs the evaluation gate on a candidate's evaluation report (ferry eval
--json), against the production version's report when --baseline is given.

The gate is OPA: ferry's default policy checks the minimums (gate.min), the
allowed drop against production (gate.tolerance), edge cases and the latency and
memory ceilings (gate.max), and warns about segments that regressed. User rules
in package ferry.gate add deny and warn messages, conftest style; they come from
--policy and from the gate block's policies, files or folders of *.rego
(*_test.rego skipped), relative to the current directory.

--params is a YAML file holding the gate block ({min: ..., max: ..., tolerance:
...}) or a whole Model document, whose spec.gate is used.

The gate fails closed: a user policy that does not compile, an evaluation error,
an undefined result, a timeout or an oversized input is a deny, and the reason
is a failed check named "gate".

Output is a table of checks, failures first; --json prints the whole decision
(allow, checks, input, policy digests, OPA version), which ferry policy diff can
replay; --markdown prints the table for a pull-request comment.

Exit codes: 0 allowed, 2 denied, 1 an error (an unreadable file, a missing
policy path).`,
		Example: `  ferry eval --model model.onnx --data eval.csv --target delayed --json > candidate.json
  ferry gate --candidate candidate.json --baseline production.json --params models/delay.yaml
  ferry gate --candidate candidate.json --policy policies --json > decision.json
  ferry eval --model model.onnx --data eval.csv --target delayed --json | ferry gate --candidate - --params gate.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if candidate == "" {
				return errors.New("gate: --candidate EVAL.json is required")
			}
			in := policy.Input{}
			var err error
			if in.Candidate, err = readEvalReport(e.stdin, candidate); err != nil {
				return err
			}
			if baseline != "" {
				if in.Production, err = readEvalReport(e.stdin, baseline); err != nil {
					return err
				}
			}
			if params != "" {
				if in.Params, err = readGateParams(params); err != nil {
					return err
				}
			}
			paths := policyPaths(append(append([]string(nil), in.Params.Policies...), policies...))
			g, err := policy.New(policy.Options{Policies: paths, Timeout: timeout})
			if err != nil {
				return err
			}
			d, err := g.Decide(cmd.Context(), in)
			if err != nil {
				return err
			}
			switch {
			case asJSON:
				enc := json.NewEncoder(e.stdout)
				enc.SetIndent("", "  ")
				enc.SetEscapeHTML(false)
				err = enc.Encode(d)
			case markdown:
				err = policy.WriteMarkdown(e.stdout, d)
			default:
				err = policy.WriteText(e.stdout, d)
			}
			if err != nil {
				return err
			}
			if !d.Allow {
				return errAction
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&candidate, "candidate", "", "the candidate's evaluation report (ferry eval --json); - for stdin")
	f.StringVar(&baseline, "baseline", "", "the production version's evaluation report; none for a first model")
	f.StringVar(&params, "params", "", "YAML file with the gate block, or a Model document")
	f.StringArrayVar(&policies, "policy", nil, "a Rego file or folder of user rules (repeatable)")
	f.BoolVar(&asJSON, "json", false, "print the whole decision as JSON on stdout")
	f.BoolVar(&markdown, "markdown", false, "print the decision as Markdown for a pull-request comment")
	f.DurationVar(&timeout, "timeout", policy.DefaultTimeout, "time limit of one policy evaluation")
	cmd.MarkFlagsMutuallyExclusive("json", "markdown")
	fixFlagUsages(cmd)
	return cmd
}

// readEvalReport reads an evaluation report ("-" is stdin), with path:line:col
// on bad JSON.
func readEvalReport(stdin io.Reader, path string) (*eval.Report, error) {
	var data []byte
	var err error
	if path == "-" {
		data, err = io.ReadAll(stdin)
		path = "<stdin>"
	} else {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("read evaluation report: %w", err)
	}
	var r eval.Report
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, jsonPosError(path, data, err)
	}
	if r.Metrics == nil {
		return nil, fmt.Errorf("%s: not an evaluation report: no \"metrics\" (want the output of ferry eval --json)", path)
	}
	return &r, nil
}

// jsonPosError places a JSON decoding error at path:line:col.
func jsonPosError(path string, data []byte, err error) error {
	var offset int64 = -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		offset = se.Offset
	case errors.As(err, &te):
		offset = te.Offset
	}
	if offset < 0 {
		return fmt.Errorf("%s: %w", path, err)
	}
	line := 1 + bytes.Count(data[:offset], []byte("\n"))
	col := int(offset) - bytes.LastIndexByte(data[:offset], '\n')
	return fmt.Errorf("%s:%d:%d: %w", path, line, col, err)
}

// gateNode finds the gate block in a YAML file: the file's only document when it
// has no kind, else the spec.gate of its one Model document (nil when that Model
// has no gate).
func gateNode(path string, data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var models []*yaml.Node
	for {
		var doc yaml.Node
		if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		node := &doc
		if node.Kind == yaml.DocumentNode && len(node.Content) == 1 {
			node = node.Content[0]
		}
		if node.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("%s:%d:%d: want a gate block or a Model document", path, node.Line, node.Column)
		}
		kind := yamlField(node, "kind")
		if kind == nil {
			return node, nil // a bare gate block
		}
		if kind.Value == string(spec.KindModel) {
			models = append(models, node)
		}
	}
	switch len(models) {
	case 0:
		return nil, fmt.Errorf("%s: no Model document and no gate block", path)
	case 1:
		return yamlField(yamlField(models[0], "spec"), "gate"), nil
	}
	return nil, fmt.Errorf("%s:%d:%d: %d Model documents: put the one to gate in a file of its own",
		path, models[1].Line, models[1].Column, len(models))
}

// readGateParams reads a gate block: the bare block, or a Model document's spec.gate.
func readGateParams(path string) (spec.Gate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return spec.Gate{}, fmt.Errorf("read gate params: %w", err)
	}
	node, err := gateNode(path, data)
	if err != nil || node == nil {
		return spec.Gate{}, err
	}
	if node.Kind != yaml.MappingNode {
		return spec.Gate{}, fmt.Errorf("%s:%d:%d: gate is not a mapping", path, node.Line, node.Column)
	}
	// Unknown fields are errors, with their position (node.Decode has no strict mode).
	for i := 0; i+1 < len(node.Content); i += 2 {
		k := node.Content[i]
		switch k.Value {
		case "min", "max", "tolerance", "edgeCases", "policies":
		default:
			return spec.Gate{}, fmt.Errorf("%s:%d:%d: unknown gate field %q (want min, max, tolerance, edgeCases, policies)",
				path, k.Line, k.Column, k.Value)
		}
	}
	var g spec.Gate
	if err := node.Decode(&g); err != nil {
		return spec.Gate{}, fmt.Errorf("%s: %w", path, err)
	}
	return g, nil
}

func yamlField(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// policyPaths turns command-line policy paths into the slash paths policy.New
// reads from the operating system (Options.FS nil).
func policyPaths(paths []string) []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		out[i] = filepath.ToSlash(p)
	}
	return out
}
