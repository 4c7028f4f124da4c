package spec_test

import (
	"errors"
	"fmt"
	"testing/fstest"

	"github.com/ferryml/ferry/spec"
)

func ExampleLoad() {
	fsys := fstest.MapFS{
		"ferry.yaml": {Data: []byte("apiVersion: ferry.dev/v1\nkind: Project\nmetadata: {name: demo}\nspec: {}\n")},
		"models/delay.yaml": {Data: []byte(`apiVersion: ferry.dev/v1
kind: Model
metadata: {name: delay}
spec:
  task: binary-classification
  metric: auc
  gate: {min: {auc: 0.65}}
`)},
		"experiments/delay.yaml": {Data: []byte(`apiVersion: ferry.dev/v1
kind: Experiment
metadata: {name: delay-gbt}
spec:
  model: delay
  dataset: flights
  trainer: {builtin: gbtt}
  seeds: 42
`)},
	}
	_, err := spec.Load(fsys)
	var list spec.ErrorList
	if errors.As(err, &list) {
		for _, e := range list {
			fmt.Println(e)
		}
	}
	// Output:
	// experiments/delay.yaml:6:12: spec.dataset: dataset "flights" does not exist (there are no datasets)
	// experiments/delay.yaml:7:22: spec.trainer.builtin: unknown trainer "gbtt" (want logistic-regression, linear-regression, gradient-boosting)
	// experiments/delay.yaml:8:3: spec: unknown field "seeds", did you mean "seed"? (want model, dataset, trainer, seed, triggers)
}

func ExampleSet_Pos() {
	fsys := fstest.MapFS{
		"ferry.yaml": {Data: []byte("apiVersion: ferry.dev/v1\nkind: Project\nmetadata: {name: demo}\nspec: {}\n")},
		"models/delay.yaml": {Data: []byte(`apiVersion: ferry.dev/v1
kind: Model
metadata: {name: delay}
spec:
  task: regression
  gate:
    min: {r2: 0.5}
`)},
	}
	set, err := spec.Load(fsys)
	if err != nil {
		fmt.Println(err)
		return
	}
	m := set.Model("delay")
	// A later stage reports a problem at the line that caused it.
	fmt.Println(spec.ErrorAt(set.Pos(m, "spec.gate.min.r2"), "candidate r2 0.41 is under the floor 0.5"))
	// Output:
	// models/delay.yaml:7:11: candidate r2 0.41 is under the floor 0.5
}
