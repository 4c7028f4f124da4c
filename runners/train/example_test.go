package train_test

import (
	"context"
	"fmt"

	"github.com/ferryml/ferry/dataset"
	"github.com/ferryml/ferry/runners/train"
	"github.com/ferryml/ferry/spec"
)

// Train a logistic regression on a frame built by hand and get ONNX bytes that
// take the raw columns (a number and a category) as inputs.
func ExampleTrain() {
	n := 200
	size := &dataset.Column{Name: "size", Type: dataset.Number, Floats: make([]float64, n)}
	color := &dataset.Column{Name: "color", Type: dataset.Category, Levels: []string{"red", "blue"}, Codes: make([]int32, n)}
	label := &dataset.Column{Name: "big", Type: dataset.Number, Floats: make([]float64, n)}
	for i := 0; i < n; i++ {
		size.Floats[i] = float64(i % 50)
		color.Codes[i] = int32(i % 2)
		if (i%50)+10*(i%2) > 28 {
			label.Floats[i] = 1
		}
	}
	f := &dataset.Frame{Rows: n, Columns: []*dataset.Column{size, color, label}}
	res, err := train.Train(context.Background(), train.Request{
		Experiment: &spec.Experiment{Spec: spec.ExperimentSpec{
			Trainer: spec.Trainer{Builtin: spec.TrainerLogisticRegression, Params: map[string]any{"C": 10}}}},
		Model:   &spec.Model{Spec: spec.ModelSpec{Task: spec.TaskBinary}},
		Dataset: &spec.Dataset{Spec: spec.DatasetSpec{Target: "big"}},
		Train:   f, Eval: f, RunID: "example",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("solver:", res.Info["solver"], "converged:", res.Info["converged"])
	fmt.Printf("accuracy on the eval split: %.2f\n", res.Metrics["accuracy"])
	fmt.Println("onnx bytes:", len(res.ONNX) > 0)
	// Output:
	// solver: newton converged: true
	// accuracy on the eval split: 1.00
	// onnx bytes: true
}
