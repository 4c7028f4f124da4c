package onnx_test

import (
	"fmt"
	"log"
	"os"

	"github.com/ferryml/ferry/dataset"
	"github.com/ferryml/ferry/eval"
	"github.com/ferryml/ferry/runners/onnx"
)

func Example() {
	if err := onnx.Init(onnx.DefaultLibraryPath(os.Getenv)); err != nil {
		log.Fatal(err)
	}
	m, err := onnx.LoadFile("testdata/percolumn.onnx", onnx.Options{IntraOpThreads: 1})
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()
	for _, in := range m.Inputs() {
		fmt.Println(in.Name, in.Type, in.Shape)
	}
	f, err := dataset.ReadFile("testdata/flights.csv", dataset.ReadOptions{})
	if err != nil {
		log.Fatal(err)
	}
	r, err := onnx.Evaluate(m, f, onnx.EvalOptions{Target: "delayed", Segments: []string{"origin"}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d rows, %s, auc %.3f, %d origins + other\n", r.Rows, r.Task, r.Metrics[eval.AUC], len(r.Segments["origin"])-1)
	// Output:
	// distance float [-1 1]
	// origin string [-1 1]
	// hour int64 [-1 1]
	// 600 rows, binary-classification, auc 0.655, 20 origins + other
}
