package serve_test

import (
	"fmt"

	"github.com/ferryml/ferry/runners/serve"
)

// DecodeInfer reads an OIP v2 request against a model's inputs, converting each
// tensor to the type the model wants and checking its shape.
func ExampleDecodeInfer() {
	inputs := []serve.IOInfo{
		{Name: "distance", Type: "float", Shape: []int64{-1, 1}},
		{Name: "origin", Type: "string", Shape: []int64{-1, 1}},
	}
	body := `{"id": "r1", "inputs": [
		{"name": "origin", "datatype": "BYTES", "shape": [2, 1], "data": ["LAX", "SEA"]},
		{"name": "distance", "datatype": "FP64", "shape": [2], "data": [1797, 300.5]}]}`
	b, err := serve.DecodeInfer([]byte(body), inputs, serve.Limits{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, t := range b.Tensors {
		fmt.Printf("%s %v %T %v\n", t.Name, t.Shape, t.Data, t.Data)
	}
	_, err = serve.DecodeInfer([]byte(`{"inputs": [{"name": "distance", "datatype": "FP32", "shape": [1, 1], "data": [1, 2]}]}`), inputs, serve.Limits{})
	fmt.Println(err)
	// Output:
	// distance [2 1] []float32 [1797 300.5]
	// origin [2 1] []string [LAX SEA]
	// input "distance": data has 2 values but the shape needs 1
}
