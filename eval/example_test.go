package eval_test

import (
	"fmt"
	"os"

	"github.com/ferryml/ferry/eval"
)

func ExampleBinary() {
	pos := []bool{false, false, true, true}
	score := []float64{0.1, 0.4, 0.35, 0.8}
	m, _ := eval.Binary(pos, score)
	for _, name := range eval.MetricNames(m) {
		fmt.Printf("%s %.4f\n", name, m[name])
	}
	// Output:
	// auc 0.7500
	// prAuc 0.8333
	// logloss 0.4723
	// accuracy 0.7500
	// precision 1.0000
	// recall 0.5000
	// f1 0.6667
	// brier 0.1581
}

func ExampleWriteText() {
	r := &eval.Report{Rows: 4, Task: "regression", Metrics: map[string]float64{eval.RMSE: 0.5, eval.R2: 0.9}}
	eval.WriteText(os.Stdout, r)
	// Output:
	// rows  4
	// task  regression
	//
	// metric  value
	// rmse    0.5000
	// r2      0.9000
}
