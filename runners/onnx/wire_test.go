package onnx

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

func fixtureModels(t testing.TB) [][]byte {
	paths, _ := filepath.Glob("testdata/*.onnx")
	var out [][]byte
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	if len(out) < 5 {
		t.Fatalf("%d fixture models", len(out))
	}
	return out
}

func TestParseModel(t *testing.T) {
	b, err := os.ReadFile("testdata/multiclass.onnx")
	if err != nil {
		t.Fatal(err)
	}
	m, err := parseModel(b)
	if err != nil {
		t.Fatal(err)
	}
	if m.irVersion != 8 || m.opsets[""] != 17 || m.opsets["ai.onnx.ml"] != 3 {
		t.Errorf("ir %d opsets %v", m.irVersion, m.opsets)
	}
	if len(m.inputs) != 1 || m.inputs[0] != "input" || len(m.outputs) != 2 {
		t.Errorf("inputs %v outputs %v", m.inputs, m.outputs)
	}
	if got := m.classLabels; len(got) != 3 || got[0] != "Adelie" {
		t.Errorf("class labels %v", got)
	}
	if m.metadata["target"] != "species" {
		t.Errorf("metadata %v", m.metadata)
	}
}

// Models with random bytes changed must load or fail with an error; onnxruntime
// must never take the process down.
func TestLoadMutated(t *testing.T) {
	initRuntime(t)
	rng := rand.New(rand.NewPCG(1, 2))
	loaded, failed := 0, 0
	for _, good := range fixtureModels(t) {
		for range 60 {
			b := append([]byte(nil), good...)
			for range 1 + rng.IntN(3) {
				b[rng.IntN(len(b))] = byte(rng.IntN(256))
			}
			m, err := Load(b, Options{})
			if err != nil {
				failed++
				continue
			}
			loaded++
			// and running what loaded fails cleanly too
			var in []Tensor
			for _, info := range m.Inputs() {
				shape := []int64{2}
				for _, d := range info.Shape[min(1, len(info.Shape)):] {
					shape = append(shape, max(d, 1))
				}
				n := 1
				for _, d := range shape {
					n *= int(d)
				}
				t := Tensor{Name: info.Name, Shape: shape}
				switch info.Type {
				case "float":
					t.Data = make([]float32, n)
				case "double":
					t.Data = make([]float64, n)
				case "int64":
					t.Data = make([]int64, n)
				case "string":
					t.Data = make([]string, n)
				default:
					t.Data = make([]int32, n)
				}
				in = append(in, t)
			}
			m.Run(in)
			m.Close()
		}
	}
	t.Logf("%d mutated models loaded, %d rejected", loaded, failed)
}

func FuzzParseModel(f *testing.F) {
	for _, b := range fixtureModels(f) {
		f.Add(b)
		f.Add(b[:len(b)/2])
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := parseModel(b)
		if err == nil && (len(m.inputs) == 0 || len(m.outputs) == 0 || m.irVersion <= 0) {
			t.Errorf("accepted a model without inputs, outputs or ir_version: %+v", m)
		}
	})
}
