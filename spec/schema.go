package spec

import (
	_ "embed"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"reflect"
	"strings"
	"sync"
)

// SchemaDialect is the JSON Schema draft the generated schemas follow.
const SchemaDialect = "https://json-schema.org/draft/2020-12/schema"

// SchemaFile is the file name of a kind's schema: ferry.dev.v1.<Kind>.schema.json.
func SchemaFile(k Kind) string { return "ferry.dev.v1." + string(k) + ".schema.json" }

// Schema returns the JSON Schema of one kind's documents, generated from the Go
// types: YAML field names, required fields (those without omitempty), enums from the
// constants, and descriptions from the types' doc comments and fieldDocs.
func Schema(k Kind) (map[string]any, error) {
	obj := newObject(k)
	if obj == nil {
		return nil, fmt.Errorf("unknown kind %q", k)
	}
	t := reflect.TypeOf(obj).Elem()
	g := &schemaGen{docs: goDocs()}
	s := g.object(t)
	props := s["properties"].(map[string]any)
	props["apiVersion"] = map[string]any{"const": APIVersion, "description": "Always " + APIVersion + "."}
	props["kind"] = map[string]any{"const": string(k)}
	if sp, ok := props["spec"].(map[string]any); ok && sp["description"] == nil {
		sp["description"] = "The " + string(k) + "'s desired state."
	}
	req, _ := s["required"].([]string)
	s["required"] = append([]string{"apiVersion", "kind"}, req...)
	s["$schema"] = SchemaDialect
	s["$id"] = "https://ferry.dev/schemas/" + SchemaFile(k)
	s["title"] = "ferry " + string(k)
	return s, nil
}

type schemaGen struct {
	docs map[string]string
}

func (g *schemaGen) object(t reflect.Type) map[string]any {
	props := map[string]any{}
	required := []string{}
	info := fieldsOf(t)
	for _, f := range info.fields {
		sf := t.Field(f.index)
		p := g.typ(sf.Type)
		if d := g.describe(t, sf); d != "" {
			p["description"] = d
		}
		for k, v := range fieldRules[t.Name()+"."+sf.Name] {
			p[k] = v
		}
		props[f.name] = p
		if f.required {
			required = append(required, f.name)
		}
	}
	s := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		s["required"] = required
	}
	if d := g.docs[t.Name()]; d != "" {
		s["description"] = d
	}
	return s
}

func (g *schemaGen) describe(t reflect.Type, f reflect.StructField) string {
	if d, ok := fieldDocs[t.Name()+"."+f.Name]; ok {
		return d
	}
	return g.docs[t.Name()+"."+f.Name]
}

func (g *schemaGen) typ(t reflect.Type) map[string]any {
	switch t {
	case durationType:
		return map[string]any{"type": "string", "pattern": `^([0-9]+d)?([0-9.]+(ns|us|µs|ms|s|m|h))*$`,
			"description": "A duration: 90s, 30m, 168h or 7d."}
	case versionRefType:
		return map[string]any{"oneOf": []any{
			map[string]any{"const": "latest"},
			map[string]any{"type": "integer", "minimum": 1},
		}}
	case splitPartType:
		return map[string]any{"oneOf": []any{
			map[string]any{"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
			g.object(reflect.TypeFor[Range]()),
		}}
	}
	if vals, ok := enums[t]; ok {
		return map[string]any{"type": "string", "enum": vals}
	}
	switch t.Kind() {
	case reflect.Pointer:
		return g.typ(t.Elem())
	case reflect.Struct:
		return g.object(t)
	case reflect.Slice:
		return map[string]any{"type": "array", "items": g.typ(t.Elem())}
	case reflect.Map:
		if t.Elem().Kind() == reflect.Interface {
			return map[string]any{"type": "object"}
		}
		return map[string]any{"type": "object", "additionalProperties": g.typ(t.Elem())}
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Int, reflect.Int32, reflect.Int64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	}
	return map[string]any{}
}

// fieldDocs describes fields whose Go comment is missing or written for Go readers.
// Keys are "Type.GoField".
var fieldDocs = map[string]string{
	"Metadata.Name":              "Lowercase letters, digits and '-', at most 63 characters; unique per kind.",
	"Metadata.Labels":            "Free-form labels.",
	"ProjectSpec.Git":            "How ferry's records go back to git.",
	"ProjectSpec.GitHub":         "The GitHub repository for pull requests, comments and check runs. The token comes from GITHUB_TOKEN.",
	"ProjectSpec.Runtime":        "The default serving runtime of deployments.",
	"ProjectSpec.Artifacts":      "Blob store URL for models, profiles and plots: file://, s3://, gs://, azblob:// or mem://. Default " + DefaultArtifacts + ".",
	"ProjectSpec.Predictions":    "Prediction log URL: sqlite://PATH or postgres://... Default " + DefaultPredictions + ".",
	"ProjectSpec.Records":        "Folder ferry writes its records into. Default " + DefaultRecords + ".",
	"GitSpec.Remote":             "Git remote to push to. Default " + DefaultRemote + ".",
	"GitSpec.Base":               "Base branch. Default " + DefaultBase + ".",
	"GitSpec.Commit":             "pull-request (default) opens a pull request with the records; direct commits them to the base branch.",
	"RuntimeSpec.Kind":           "local (ferry serve, the default) or kserve.",
	"DatasetSpec.Target":         "The label column.",
	"DatasetSpec.Time":           "Optional time column; enables time splits and windows.",
	"DatasetSpec.Features":       "Feature columns with their types and constraints.",
	"DatasetSpec.Split":          "How rows divide into train and eval: {eval: 0.2, seed: 42}, or ranges of a column.",
	"Feature.Name":               "Column name.",
	"Feature.Type":               "number, integer, category or boolean.",
	"Feature.Min":                "Smallest allowed value (number and integer features).",
	"Feature.Max":                "Largest allowed value (number and integer features).",
	"Split.Column":               "Split by ranges of this column (usually the time column) instead of at random.",
	"Split.Train":                "Range of the split column for training rows.",
	"Split.Eval":                 "A fraction of rows in (0, 1), or a range {from, before} of the split column.",
	"Split.Seed":                 "Seed of the random split.",
	"ModelSpec.Task":             "binary-classification, multiclass-classification or regression.",
	"ModelSpec.Dataset":          "Default dataset of the model's experiments.",
	"ModelSpec.Metric":           "The primary metric, e.g. auc, accuracy, rmse.",
	"ModelSpec.Segments":         "Columns whose values get their own metrics.",
	"ModelSpec.Gate":             "The evaluation gate every version must pass before it is registered.",
	"ExperimentSpec.Model":       "The Model this experiment trains.",
	"ExperimentSpec.Trainer":     "A builtin algorithm with params, or an exec command; exactly one.",
	"ExperimentSpec.Seed":        "Seed for training.",
	"ExperimentSpec.Triggers":    "When to retrain.",
	"Trainer.Builtin":            "Builtin algorithm: " + strings.Join(BuiltinTrainers, ", ") + ".",
	"Trainer.Params":             "Parameters of the builtin algorithm.",
	"Trainer.Exec":               "Any program, under the exec contract.",
	"ExecTrainer.Command":        "Program and arguments.",
	"ExecTrainer.Timeout":        "Kill the trainer after this long.",
	"Triggers.NewData":           "Retrain when the dataset has grown by this many rows.",
	"Triggers.OnDrift":           "Retrain, on the dataset plus the drifted window's labelled rows, when one of these Monitors (with onDrift: retrain) finds drift.",
	"Triggers.OnPerformanceDrop": "Retrain, on the dataset plus the window's labelled rows, when a Monitor's performance test sees this metric fall by more than drop.",
	"DeploymentSpec.Model":       "The Model to serve.",
	"DeploymentSpec.Environment": "Environment name; a deployment in production makes its version the production version.",
	"DeploymentSpec.Strategy":    "Rollout strategy: direct (default) or canary.",
	"DeploymentSpec.Logging":     "Prediction logging.",
	"Strategy.Type":              "direct (default) or canary.",
	"Strategy.Interval":          "Time between canary steps.",
	"Strategy.Analysis":          "Thresholds a canary step must meet to advance; otherwise it rolls back.",
	"MonitorSpec.Deployment":     "The Deployment whose traffic is monitored.",
	"MonitorSpec.Window":         "How much recent traffic each check covers, e.g. 168h or 7d.",
	"MonitorSpec.Schedule":       "Five-field cron expression (or @daily) of the checks.",
	"MonitorSpec.Features":       "Per-feature tests: a default and per-feature overrides. Default test psi with threshold 0.2.",
	"MonitorSpec.Prediction":     "Test on the distribution of the model's output.",
	"MonitorSpec.Performance":    "Test on metrics from delayed labels joined to logged predictions.",
	"MonitorSpec.OnDrift":        "What to do on drift: report, retrain, alert.",
	"DriftTest.Test":             "Statistical test: " + strings.Join(DriftTests, ", ") + ".",
	"DriftTest.Threshold":        "Drift when the statistic exceeds this (psi, js, wasserstein).",
	"DriftTest.PValue":           "Drift when the p-value falls under this (ks, chi2), in (0, 1).",
	"PerformanceTest.Labels":     "File (or URL) of delayed labels: request_id, optional row, and the label (the target's name, or label). Need not exist until labels arrive.",
	"PerformanceTest.MaxDrop":    "Largest allowed drop of the metric against the reference.",
	"PerformanceTest.Metric":     "Metric computed on the labelled predictions, e.g. auc.",
	"NewDataTrigger.MinRows":     "Rows the dataset must have gained since the last run.",
	"PerformanceDrop.Metric":     "Metric watched on labelled traffic, e.g. auc.",
	"PerformanceDrop.Drop":       "Drop from the registered evaluation that triggers retraining.",
	"Analysis.MinRequests":       "Requests a step must serve before it is judged.",
	"Analysis.MaxErrorRate":      "Largest share of failed requests, in [0, 1].",
	"Analysis.MaxLatencyP99Ms":   "Largest 99th-percentile latency, in milliseconds.",
	"Analysis.MaxPredictionPSI":  "Largest PSI between the canary's and the stable version's predictions.",
	"Feature.Values":             "The allowed values of a category feature.",
	"Feature.Nullable":           "Whether nulls are allowed; default true.",
	"Feature.MaxNullShare":       "Largest share of nulls, in [0, 1].",
	"Range.From":                 "Inclusive lower bound: a date (YYYY-MM-DD), an RFC 3339 time or a number.",
	"Range.Before":               "Exclusive upper bound: a date (YYYY-MM-DD), an RFC 3339 time or a number.",
	"FeatureTests.Default":       "The test every feature gets unless overridden. Default {test: psi, threshold: 0.2}.",
	"FeatureTests.Overrides":     "Tests for named features.",
	"DatasetSpec.Format":         "csv, parquet or jsonl; default from the source's extension.",
	"DatasetSpec.Digest":         "Pins the source bytes (sha256:<hex>); a mismatch is an error.",
	"GitHubSpec.Repository":      "owner/name.",
	"DeploymentSpec.Runtime":     "local or kserve; default the project's runtime kind.",
	"ExperimentSpec.Dataset":     "The dataset to train on; default the model's.",
	"ExecTrainer.Env":            "Environment variables passed through from ferry's environment.",
	"RuntimeSpec.TokenEnv":       "Environment variable holding the admin API's bearer token. Default " + DefaultTokenEnv + ".",
}

// fieldRules are the constraints a schema can state beyond the type. Keys are
// "Type.GoField"; Load checks the same rules (and more).
var fieldRules = map[string]map[string]any{
	"Metadata.Name":           {"pattern": nameRE.String(), "maxLength": 63},
	"DatasetSpec.Digest":      {"pattern": digestRE.String()},
	"Trainer.Builtin":         {"enum": BuiltinTrainers},
	"DriftTest.Test":          {"enum": DriftTests},
	"DriftTest.Threshold":     {"minimum": 0},
	"DriftTest.PValue":        {"exclusiveMinimum": 0, "exclusiveMaximum": 1},
	"Feature.MaxNullShare":    {"minimum": 0, "maximum": 1},
	"Logging.Sample":          {"minimum": 0, "maximum": 1},
	"Analysis.MaxErrorRate":   {"minimum": 0, "maximum": 1},
	"Analysis.MinRequests":    {"minimum": 0},
	"NewDataTrigger.MinRows":  {"minimum": 1},
	"Strategy.Steps":          {"items": map[string]any{"type": "integer", "exclusiveMinimum": 0, "maximum": 100}, "minItems": 1},
	"ExecTrainer.Command":     {"minItems": 1},
	"GitHubSpec.Repository":   {"pattern": githubRepoRE.String()},
	"PerformanceTest.MaxDrop": {"minimum": 0},
	"Range.From":              {"type": []string{"string", "number"}},
	"Range.Before":            {"type": []string{"string", "number"}},
}

//go:embed types.go
var typesSource string

var (
	docsOnce sync.Once
	docsMap  map[string]string
)

// goDocs reads the doc comments of types.go: "Type" and "Type.Field" → text.
func goDocs() map[string]string {
	docsOnce.Do(func() {
		docsMap = map[string]string{}
		f, err := parser.ParseFile(token.NewFileSet(), "types.go", typesSource, parser.ParseComments)
		if err != nil {
			return
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.TYPE {
				continue
			}
			for _, sp := range gd.Specs {
				ts := sp.(*ast.TypeSpec)
				doc := ts.Doc
				if doc == nil && len(gd.Specs) == 1 {
					doc = gd.Doc
				}
				if doc != nil {
					docsMap[ts.Name.Name] = cleanDoc(doc.Text())
				}
				st, ok := ts.Type.(*ast.StructType)
				if !ok {
					continue
				}
				for _, fl := range st.Fields.List {
					text := ""
					if fl.Doc != nil {
						text = fl.Doc.Text()
					} else if fl.Comment != nil {
						text = fl.Comment.Text()
					}
					for _, n := range fl.Names {
						if text != "" {
							docsMap[ts.Name.Name+"."+n.Name] = dropSubject(n.Name, cleanDoc(text))
						}
					}
				}
			}
		}
	})
	return docsMap
}

func cleanDoc(s string) string { return strings.Join(strings.Fields(s), " ") }

// dropSubject turns Go's "Source is a path ..." into a schema's "A path ...".
func dropSubject(name, doc string) string {
	for _, verb := range []string{" is ", " are "} {
		if rest, ok := strings.CutPrefix(doc, name+verb); ok && rest != "" {
			return strings.ToUpper(rest[:1]) + rest[1:]
		}
	}
	// "Dataset defaults to the Model's." → "Defaults to the Model's."
	if rest, ok := strings.CutPrefix(doc, name+" "); ok && rest != "" {
		first, _, _ := strings.Cut(rest, " ")
		if strings.HasSuffix(first, "s") && !strings.HasSuffix(first, "ss") {
			return strings.ToUpper(rest[:1]) + rest[1:]
		}
	}
	return doc
}
