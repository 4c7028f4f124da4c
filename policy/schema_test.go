package policy

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/ferryml/ferry/eval"
)

// matchSchema validates doc against InputSchema with OPA's json.match_schema.
func matchSchema(t *testing.T, doc any) (bool, any) {
	t.Helper()
	var schema any
	if err := json.Unmarshal(InputSchema, &schema); err != nil {
		t.Fatalf("schema is not JSON: %v", err)
	}
	rs, err := rego.New(
		rego.Query("[ok, errs] := json.match_schema(input.doc, input.schema)"),
		rego.Input(map[string]any{"doc": doc, "schema": schema}),
		rego.StrictBuiltinErrors(true),
	).Eval(context.Background())
	if err != nil {
		t.Fatalf("schema does not compile: %v", err)
	}
	if len(rs) != 1 {
		t.Fatalf("match_schema undefined")
	}
	return rs[0].Bindings["ok"].(bool), rs[0].Bindings["errs"]
}

func asJSON(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestInputSchema(t *testing.T) {
	first := exampleInput(t)
	first.Production = nil
	failing := exampleInput(t)
	failing.Candidate.EdgeCases = &eval.EdgeCases{Total: 2, Failed: 1, Failures: []eval.EdgeCaseFailure{{Row: 1, Expected: "1", Got: "0", Message: "x"}}}
	failing.Params.EdgeCases = "data/edge.csv"
	failing.Params.Policies = []string{"policies"}
	valid := map[string]Input{"example": exampleInput(t), "first model": first, "edge failures": failing}
	for name, in := range valid {
		if ok, errs := matchSchema(t, asJSON(t, in)); !ok {
			t.Errorf("%s: does not match the schema: %v", name, errs)
		}
	}

	invalid := map[string]func(m map[string]any){
		"rows is a string":  func(m map[string]any) { m["candidate"].(map[string]any)["rows"] = "many" },
		"metric not number": func(m map[string]any) { m["candidate"].(map[string]any)["metrics"].(map[string]any)["auc"] = "high" },
		"unknown param":     func(m map[string]any) { m["params"].(map[string]any)["minimum"] = map[string]any{} },
		"no lineage":        func(m map[string]any) { delete(m, "lineage") },
	}
	for name, edit := range invalid {
		doc := asJSON(t, exampleInput(t)).(map[string]any)
		edit(doc)
		if ok, _ := matchSchema(t, doc); ok {
			t.Errorf("%s: matches the schema", name)
		}
	}
}
