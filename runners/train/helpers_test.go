package train

import (
	"context"
	"math"
	"os"
	"testing"

	"github.com/ferryml/ferry/dataset"
	"github.com/ferryml/ferry/runners/onnx"
	"github.com/ferryml/ferry/spec"
)

// flights reads the committed slice of flights-3m (January and February 2001) and
// splits it by month: January trains, February evaluates.
func flights(t testing.TB) (train, eval *dataset.Frame) {
	t.Helper()
	f, err := dataset.ReadFile("testdata/flights-20k.csv", dataset.ReadOptions{Features: []spec.Feature{
		{Name: "origin", Type: spec.TypeCategory}, {Name: "destination", Type: spec.TypeCategory},
	}})
	if err != nil {
		t.Fatal(err)
	}
	month := f.Col("month")
	var jan, feb []int
	for i, m := range month.Floats {
		if m == 1 {
			jan = append(jan, i)
		} else {
			feb = append(feb, i)
		}
	}
	return f.Take(jan), f.Take(feb)
}

var flightFeatures = []spec.Feature{
	{Name: "hour", Type: spec.TypeNumber}, {Name: "weekday", Type: spec.TypeNumber},
	{Name: "distance", Type: spec.TypeNumber}, {Name: "origin", Type: spec.TypeCategory},
	{Name: "destination", Type: spec.TypeCategory},
}

// request builds a training request on the flights slice.
func request(trainer string, task spec.Task, target string, params map[string]any, train, eval *dataset.Frame) Request {
	return Request{
		Experiment: &spec.Experiment{Metadata: spec.Metadata{Name: "exp"}, Spec: spec.ExperimentSpec{
			Model: "m", Trainer: spec.Trainer{Builtin: trainer, Params: params}, Seed: 7}},
		Model:   &spec.Model{Metadata: spec.Metadata{Name: "m"}, Spec: spec.ModelSpec{Task: task}},
		Dataset: &spec.Dataset{Metadata: spec.Metadata{Name: "flights"}, Spec: spec.DatasetSpec{Target: target, Features: flightFeatures}},
		Train:   train, Eval: eval, RunID: "exp-0123456789ab", DatasetDigest: "sha256:00",
	}
}

func mustTrain(t testing.TB, req Request) *Result {
	t.Helper()
	res, err := Train(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// loadONNX opens exported bytes in onnxruntime with one thread, so its float32 sums
// run in the order the in-memory model mimics.
func loadONNX(t testing.TB, b []byte) *onnx.Model {
	t.Helper()
	if err := onnx.Init(onnx.DefaultLibraryPath(os.Getenv)); err != nil {
		t.Fatalf("onnxruntime: %v", err)
	}
	m, err := onnx.Load(b, onnx.Options{IntraOpThreads: 1, InterOpThreads: 1})
	if err != nil {
		t.Fatalf("load exported model: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// runRaw feeds the frame's feature columns as [N,1] tensors, nulls as NaN or "".
func runRaw(t testing.TB, m *onnx.Model, f *dataset.Frame, feats []spec.Feature) map[string]onnx.Tensor {
	t.Helper()
	var in []onnx.Tensor
	for _, ft := range feats {
		c := f.Col(ft.Name)
		if c.Type == dataset.Category {
			s := make([]string, f.Rows)
			for i := range s {
				s[i] = c.String(i)
			}
			in = append(in, onnx.Tensor{Name: ft.Name, Shape: []int64{int64(f.Rows), 1}, Data: s})
			continue
		}
		v := make([]float32, f.Rows)
		for i, x := range c.Floats {
			v[i] = float32(x)
		}
		in = append(in, onnx.Tensor{Name: ft.Name, Shape: []int64{int64(f.Rows), 1}, Data: v})
	}
	out, err := m.Run(in)
	if err != nil {
		t.Fatalf("run exported model: %v", err)
	}
	byName := map[string]onnx.Tensor{}
	for _, o := range out {
		byName[o.Name] = o
	}
	return byName
}

func maxAbsDiff(a []float32, b []float64) float64 {
	d := 0.0
	for i := range a {
		d = math.Max(d, math.Abs(float64(a[i])-b[i]))
	}
	return d
}

func maxDiff64(a, b []float64) float64 {
	d := 0.0
	for i := range a {
		d = math.Max(d, math.Abs(a[i]-b[i]))
	}
	return d
}
