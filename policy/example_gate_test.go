package policy_test

import (
	"context"
	"fmt"
	"os"
	"testing/fstest"

	"github.com/ferryml/ferry/eval"
	"github.com/ferryml/ferry/policy"
	"github.com/ferryml/ferry/spec"
)

func ExampleGate_Decide() {
	rules := fstest.MapFS{"policies/rows.rego": {Data: []byte(`package ferry.gate

deny contains sprintf("evaluated on %d rows only", [input.candidate.rows]) if input.candidate.rows < 1000
`)}}
	g, err := policy.New(policy.Options{FS: rules, Policies: []string{"policies"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	d, err := g.Decide(context.Background(), policy.Input{
		Candidate: &eval.Report{Rows: 500, Task: "binary-classification", Metrics: map[string]float64{"auc": 0.7}},
		Params:    spec.Gate{Min: map[string]float64{"auc": 0.75}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("allow:", d.Allow)
	for _, c := range d.Failed() {
		fmt.Printf("%s: %s\n", c.Name, c.Message)
	}
	// Output:
	// allow: false
	// min/auc: auc 0.7 < minimum 0.75
	// ferry.gate: evaluated on 500 rows only
}

func ExampleWriteMarkdown() {
	g, _ := policy.New(policy.Options{})
	d, _ := g.Decide(context.Background(), policy.Input{
		Candidate: &eval.Report{Rows: 5000, Task: "regression", Metrics: map[string]float64{"rmse": 4.2},
			Latency: &eval.Latency{P50Ms: 0.3, P95Ms: 0.9, P99Ms: 7}},
		Params: spec.Gate{Max: map[string]float64{"latencyP99Ms": 5, "rmse": 5}},
	})
	d.Policies = nil // digests change with the policy; leave them out here
	policy.WriteMarkdown(os.Stdout, d)
	// Output:
	// ### ❌ Gate denied: 5 checks, 1 denied, 0 warnings
	//
	// | | Check | Severity | Message |
	// |---|---|---|---|
	// | ❌ | `max/latencyP99Ms` | deny | latencyP99Ms 7 &gt; maximum 5 |
	// | ✅ | `min` | deny | no floors set (gate.min) |
	// | ✅ | `tolerance` | deny | no tolerances set (gate.tolerance) |
	// | ✅ | `edge-cases` | deny | no edge cases set (gate.edgeCases) |
	// | ✅ | `max/rmse` | deny | rmse 4.2 &lt;= maximum 5 |
}
