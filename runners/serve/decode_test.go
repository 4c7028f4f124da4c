package serve

import (
	"reflect"
	"strings"
	"testing"
)

var testInputs = []IOInfo{
	{Name: "x", Type: "float", Shape: []int64{-1, 2}},
	{Name: "n", Type: "int64", Shape: []int64{-1, 1}},
	{Name: "s", Type: "string", Shape: []int64{-1}},
}

func TestDecodeInfer(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []Tensor
		rows int
	}{
		{"flat", `{"id":"a","inputs":[
			{"name":"x","shape":[2,2],"datatype":"FP32","data":[1,2.5,3,4]},
			{"name":"n","shape":[2,1],"datatype":"INT64","data":[7,8]},
			{"name":"s","shape":[2],"datatype":"BYTES","data":["a","b\"c"]}]}`,
			[]Tensor{{"x", []int64{2, 2}, []float32{1, 2.5, 3, 4}}, {"n", []int64{2, 1}, []int64{7, 8}}, {"s", []int64{2}, []string{"a", `b"c`}}}, 2},
		{"nested, converted, shorthand shapes", `{"inputs":[
			{"name":"s","shape":[1],"datatype":"BYTES","data":["\u00e9"]},
			{"name":"x","shape":[2],"datatype":"FP64","data":[[0.1, 1e3]]},
			{"name":"n","shape":[1],"datatype":"FP64","data":[3.0]}]}`,
			[]Tensor{{"x", []int64{1, 2}, []float32{0.1, 1000}}, {"n", []int64{1, 1}, []int64{3}}, {"s", []int64{1}, []string{"é"}}}, 1},
		{"bool widens, ints to float", `{"inputs":[
			{"name":"x","shape":[1,2],"datatype":"INT32","data":[16777216,-5]},
			{"name":"n","shape":[1,1],"datatype":"BOOL","data":[true]},
			{"name":"s","shape":[1],"datatype":"BYTES","data":[""]}]}`,
			[]Tensor{{"x", []int64{1, 2}, []float32{16777216, -5}}, {"n", []int64{1, 1}, []int64{1}}, {"s", []int64{1}, []string{""}}}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := DecodeInfer([]byte(tt.body), testInputs, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(b.Tensors, tt.want) || b.Rows != tt.rows {
				t.Fatalf("got %+v rows %d\nwant %+v rows %d", b.Tensors, b.Rows, tt.want, tt.rows)
			}
		})
	}
}

func TestDecodeInferErrors(t *testing.T) {
	ok := `{"name":"n","shape":[1,1],"datatype":"INT64","data":[1]},{"name":"s","shape":[1],"datatype":"BYTES","data":["a"]}`
	tests := []struct {
		name, body, want string
		status           int
	}{
		{"not JSON", `{"inputs":`, "bad JSON", 400},
		{"wrong JSON type", `{"inputs":{}}`, "bad JSON", 400},
		{"no inputs", `{"inputs":[]}`, `no "inputs"`, 400},
		{"unknown input", `{"inputs":[{"name":"zz","shape":[1],"datatype":"FP32","data":[1]},` + ok + `]}`, `unknown input "zz"`, 400},
		{"missing input", `{"inputs":[` + ok + `]}`, `missing input "x"`, 400},
		{"duplicate input", `{"inputs":[` + ok + `,` + ok + `]}`, "appears twice", 400},
		{"bad datatype", `{"inputs":[{"name":"x","shape":[1,2],"datatype":"INT8","data":[1,2]},` + ok + `]}`, "unsupported datatype", 400},
		{"string into float", `{"inputs":[{"name":"x","shape":[1,2],"datatype":"BYTES","data":["a","b"]},` + ok + `]}`, "cannot feed", 400},
		{"wrong shape", `{"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[1,2,3]},` + ok + `]}`, "does not fit", 400},
		{"too few values", `{"inputs":[{"name":"x","shape":[2,2],"datatype":"FP32","data":[1,2,3]},` + ok + `]}`, "3 values but the shape needs 4", 400},
		{"too many values", `{"inputs":[{"name":"x","shape":[1,2],"datatype":"FP32","data":[1,2,3]},` + ok + `]}`, "3 values but the shape needs 2", 400},
		{"negative dim", `{"inputs":[{"name":"x","shape":[-1,2],"datatype":"FP32","data":[1,2]},` + ok + `]}`, "negative", 400},
		{"huge shape", `{"inputs":[{"name":"x","shape":[100000000000,2],"datatype":"FP32","data":[1,2]},` + ok + `]}`, "more than", 413},
		{"string in numbers", `{"inputs":[{"name":"x","shape":[1,2],"datatype":"FP32","data":[1,"2"]},` + ok + `]}`, "not a number", 400},
		{"fraction into INT64", `{"inputs":[{"name":"x","shape":[1,2],"datatype":"FP32","data":[1,2]},{"name":"n","shape":[1,1],"datatype":"FP64","data":[1.5]},{"name":"s","shape":[1],"datatype":"BYTES","data":["a"]}]}`, "not an integer", 400},
		{"fraction declared INT64", `{"inputs":[{"name":"x","shape":[1,2],"datatype":"INT64","data":[1,2.5]},` + ok + `]}`, "not an integer", 400},
		{"float32 overflow", `{"inputs":[{"name":"x","shape":[1,2],"datatype":"FP64","data":[1,1e300]},` + ok + `]}`, "out of range", 400},
		{"rows disagree", `{"inputs":[{"name":"x","shape":[2,2],"datatype":"FP32","data":[1,2,3,4]},` + ok + `]}`, "rows", 400},
		{"object in data", `{"inputs":[{"name":"x","shape":[1,2],"datatype":"FP32","data":[{"a":1},2]},` + ok + `]}`, "object", 400},
		{"scalar data", `{"inputs":[{"name":"x","shape":[1,2],"datatype":"FP32","data":1},` + ok + `]}`, "must be a JSON array", 400},
		{"no shape", `{"inputs":[{"name":"x","datatype":"FP32","data":[1,2]},` + ok + `]}`, "no shape", 400},
		{"no datatype", `{"inputs":[{"name":"x","shape":[1,2],"data":[1,2]},` + ok + `]}`, "no datatype", 400},
		{"null value", `{"inputs":[{"name":"x","shape":[1,2],"datatype":"FP32","data":[1,null]},` + ok + `]}`, "not a number", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeInfer([]byte(tt.body), testInputs, Limits{})
			e, ok := err.(*Error)
			if !ok {
				t.Fatalf("error %v (%T), want *Error", err, err)
			}
			if e.Status != tt.status || !strings.Contains(e.Msg, tt.want) {
				t.Fatalf("got %d %q; want %d containing %q", e.Status, e.Msg, tt.status, tt.want)
			}
		})
	}
}

func TestDecodeInferRowLimit(t *testing.T) {
	body := `{"inputs":[{"name":"x","shape":[3,2],"datatype":"FP32","data":[1,2,3,4,5,6]},{"name":"n","shape":[3,1],"datatype":"INT64","data":[1,2,3]},{"name":"s","shape":[3],"datatype":"BYTES","data":["a","b","c"]}]}`
	_, err := DecodeInfer([]byte(body), testInputs, Limits{MaxRows: 2})
	if e, ok := err.(*Error); !ok || e.Status != 413 {
		t.Fatalf("err = %v, want 413", err)
	}
}

func FuzzDecodeInfer(f *testing.F) {
	f.Add(`{"id":"a","inputs":[{"name":"x","shape":[2,2],"datatype":"FP32","data":[1,2.5,3,4]},{"name":"n","shape":[2,1],"datatype":"INT64","data":[7,8]},{"name":"s","shape":[2],"datatype":"BYTES","data":["a","b"]}]}`)
	f.Add(`{"inputs":[{"name":"x","shape":[2],"datatype":"FP64","data":[[0.1,1e3]]},{"name":"n","shape":[1],"datatype":"BOOL","data":[true]},{"name":"s","shape":[1],"datatype":"BYTES","data":["\u00e9\\"]}]}`)
	f.Add(`{"inputs":[{"name":"x","shape":[0,2],"datatype":"FP32","data":[]},{"name":"n","shape":[0,1],"datatype":"INT32","data":[[]]},{"name":"s","shape":[0],"datatype":"BYTES","data":[]}]}`)
	f.Add(`{"inputs":[{"name":"x","shape":[1,2],"datatype":"FP32","data":[[1],[2]],"parameters":{"a":1}}],"outputs":[{"name":"y"}]}`)
	f.Fuzz(func(t *testing.T, body string) {
		b, err := DecodeInfer([]byte(body), testInputs, Limits{MaxElements: 1 << 16})
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error %v is %T, want *Error", err, err)
			}
			return
		}
		for i, tn := range b.Tensors {
			n, ok := shapeProduct(tn.Shape, 1<<62)
			if !ok || int(n) != dataLen(tn.Data) || tn.Name != testInputs[i].Name {
				t.Fatalf("tensor %s: shape %v with %d values", tn.Name, tn.Shape, dataLen(tn.Data))
			}
		}
	})
}

func FuzzDecodeMLflow(f *testing.F) {
	f.Add(`{"dataframe_split":{"columns":["x","n","s"],"data":[[[1,2],3,"a"]]}}`)
	f.Add(`{"dataframe_records":[{"x":[1,2],"n":3,"s":"a"},{"s":"b","n":4,"x":[5,6]}]}`)
	f.Add(`{"inputs":{"x":[[1,2]],"n":[1],"s":["q"]}}`)
	f.Add(`{"instances":[[1,2],[3,4]]}`)
	f.Fuzz(func(t *testing.T, body string) {
		for _, ins := range [][]IOInfo{testInputs, testInputs[:1]} {
			b, err := DecodeMLflow([]byte(body), ins, Limits{MaxElements: 1 << 16})
			if err != nil {
				if _, ok := err.(*Error); !ok {
					t.Fatalf("error %v is %T, want *Error", err, err)
				}
				continue
			}
			for _, tn := range b.Tensors {
				n, ok := shapeProduct(tn.Shape, 1<<62)
				if !ok || int(n) != dataLen(tn.Data) {
					t.Fatalf("tensor %s: shape %v with %d values", tn.Name, tn.Shape, dataLen(tn.Data))
				}
			}
		}
	})
}

func TestDecodeMLflow(t *testing.T) {
	single := []IOInfo{{Name: "features", Type: "float", Shape: []int64{-1, 2}}}
	tests := []struct {
		name   string
		inputs []IOInfo
		body   string
		want   []Tensor
	}{
		{"dataframe_split by name", testInputs, `{"dataframe_split":{"columns":["x","n","s"],"data":[[[1,2],3,"a"],[[4,5],6,"b"]]}}`,
			[]Tensor{{"x", []int64{2, 2}, []float32{1, 2, 4, 5}}, {"n", []int64{2, 1}, []int64{3, 6}}, {"s", []int64{2}, []string{"a", "b"}}}},
		{"dataframe_records any key order", testInputs, `{"dataframe_records":[{"x":[1,2],"n":3,"s":"a"},{"s":"b","n":4,"x":[5,6]}]}`,
			[]Tensor{{"x", []int64{2, 2}, []float32{1, 2, 5, 6}}, {"n", []int64{2, 1}, []int64{3, 4}}, {"s", []int64{2}, []string{"a", "b"}}}},
		{"dataframe_split columns into one tensor", single, `{"dataframe_split":{"columns":["a","b"],"data":[[1,2],[3,4]]}}`,
			[]Tensor{{"features", []int64{2, 2}, []float32{1, 2, 3, 4}}}},
		{"instances rows", single, `{"instances":[[1,2],[3,4]]}`,
			[]Tensor{{"features", []int64{2, 2}, []float32{1, 2, 3, 4}}}},
		{"inputs list", single, `{"inputs":[[1,2]]}`,
			[]Tensor{{"features", []int64{1, 2}, []float32{1, 2}}}},
		{"inputs dict", testInputs, `{"inputs":{"x":[[1,2]],"n":[7],"s":["q"]}}`,
			[]Tensor{{"x", []int64{1, 2}, []float32{1, 2}}, {"n", []int64{1, 1}, []int64{7}}, {"s", []int64{1}, []string{"q"}}}},
		{"instances records", testInputs, `{"instances":[{"x":[1,2],"n":1,"s":"z"}]}`,
			[]Tensor{{"x", []int64{1, 2}, []float32{1, 2}}, {"n", []int64{1, 1}, []int64{1}}, {"s", []int64{1}, []string{"z"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := DecodeMLflow([]byte(tt.body), tt.inputs, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(b.Tensors, tt.want) {
				t.Fatalf("got %+v\nwant %+v", b.Tensors, tt.want)
			}
		})
	}
	for _, body := range []string{
		`{}`, `{"instances":[[1,2]],"inputs":[[1,2]]}`, `{"dataframe_split":{"columns":["x"],"data":[[1,2]]}}`,
		`{"dataframe_records":[{"x":[1,2],"n":1,"s":"a"},{"x":[1,2],"n":1}]}`, `{"dataframe_records":[{"x":[1,2],"n":"a","s":"a"}]}`,
		`{"instances":[[1,2]]}`, `{"inputs":{"x":[[1,2]],"n":[1,2],"s":["a"]}}`,
	} {
		if _, err := DecodeMLflow([]byte(body), testInputs, Limits{}); err == nil {
			t.Errorf("DecodeMLflow(%s) succeeded", body)
		} else if _, ok := err.(*Error); !ok {
			t.Errorf("DecodeMLflow(%s): %T %v", body, err, err)
		}
	}
}

func TestAppendResponses(t *testing.T) {
	outs := []Tensor{{"label", []int64{2}, []int64{0, 1}}, {"probabilities", []int64{2, 2}, []float32{0.25, 0.75, 0.5, 0.5}}}
	got := string(appendInferResponse(nil, "m", 3, "q\"1", outs))
	want := `{"model_name":"m","model_version":"3","id":"q\"1","outputs":[{"name":"label","datatype":"INT64","shape":[2],"data":[0,1]},{"name":"probabilities","datatype":"FP32","shape":[2,2],"data":[0.25,0.75,0.5,0.5]}]}` + "\n"
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	if got := string(appendMLflowResponse(nil, outs[:1])); got != `{"predictions":[0,1]}`+"\n" {
		t.Fatalf("mlflow one output: %s", got)
	}
	if got := string(appendMLflowResponse(nil, outs)); got != `{"predictions":{"label":[0,1],"probabilities":[[0.25,0.75],[0.5,0.5]]}}`+"\n" {
		t.Fatalf("mlflow two outputs: %s", got)
	}
}

func TestBucketsCoverLatencies(t *testing.T) {
	var h latencyHist
	for us := uint64(0); us < 1<<20; us = us*5/4 + 1 {
		i := bucketOf(us)
		if up := bucketUpper(i); us >= up || (i > 0 && us < bucketUpper(i-1)) {
			t.Fatalf("%dµs in bucket %d with bounds [%d, %d)", us, i, bucketUpper(i-1), up)
		}
	}
	for i := range 1000 {
		h.counts[bucketOf(uint64(i+1)*10)].Add(1) // 10µs .. 10ms
	}
	if p99 := h.quantile(0.99); p99 < 9.9 || p99 > 10.6 {
		t.Fatalf("p99 = %vms, want ≈ 9.9", p99)
	}
}
