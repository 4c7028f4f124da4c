package onnx

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

func TestInitMissingLibrary(t *testing.T) {
	if isInit() {
		// Init is process-wide and idempotent: once loaded, a wrong path is ignored.
		if err := Init("/nonexistent/libonnxruntime.so"); err != nil {
			t.Fatalf("Init after success: %v", err)
		}
		return
	}
	for _, p := range []string{"", "/nonexistent/libonnxruntime.so"} {
		err := Init(p)
		if err == nil {
			t.Fatalf("Init(%q) = nil", p)
		}
		for _, want := range []string{"make onnxruntime", LibraryEnv} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("Init(%q) = %q, want it to mention %q", p, err, want)
			}
		}
	}
}

func TestDefaultLibraryPath(t *testing.T) {
	home := t.TempDir()
	env := map[string]string{"HOME": home}
	getenv := func(k string) string { return env[k] }
	if got := DefaultLibraryPath(getenv); got != "" {
		t.Errorf("no library: got %q, want \"\"", got)
	}
	lib := filepath.Join(home, cacheLibrary)
	os.MkdirAll(filepath.Dir(lib), 0o755)
	os.WriteFile(lib, nil, 0o644)
	if got := DefaultLibraryPath(getenv); got != lib {
		t.Errorf("cached library: got %q, want %q", got, lib)
	}
	env[LibraryEnv] = "/x/lib.so"
	if got := DefaultLibraryPath(getenv); got != "/x/lib.so" {
		t.Errorf("env: got %q", got)
	}
}

func TestIntrospect(t *testing.T) {
	tests := []struct {
		model   string
		inputs  string
		outputs string
		meta    map[string]string
	}{
		{"percolumn.onnx", "distance float[-1 1], origin string[-1 1], hour int64[-1 1]",
			"label int64[-1], probabilities float[-1 2]",
			map[string]string{"task": "binary-classification", "target": "delayed"}},
		{"zipmap.onnx", "float_input float[-1 3]", "output_label int64[-1], output_probability sequence[]",
			map[string]string{"features": "wind,temp_max,temp_min", "target": "rain"}},
		{"multiclass.onnx", "input float[-1 4]", "label string[-1], probabilities float[-1 3]",
			map[string]string{"task": "multiclass-classification", "target": "species"}},
		{"regression.onnx", "temp_min double[-1], wind float[-1]", "variable float[-1 1]",
			map[string]string{"task": "regression", "target": "temp_max"}},
	}
	for _, tt := range tests {
		t.Run(tt.model, func(t *testing.T) {
			m := loadModel(t, tt.model)
			if got := describe(m.Inputs()); got != tt.inputs {
				t.Errorf("inputs = %s, want %s", got, tt.inputs)
			}
			if got := describe(m.Outputs()); got != tt.outputs {
				t.Errorf("outputs = %s, want %s", got, tt.outputs)
			}
			if got := m.Metadata(); fmt.Sprint(got) != fmt.Sprint(tt.meta) {
				t.Errorf("metadata = %v, want %v", got, tt.meta)
			}
			b, _ := os.ReadFile(filepath.Join("testdata", tt.model))
			if m.Size() != int64(len(b)) || !strings.HasPrefix(m.Digest(), "sha256:") || len(m.Digest()) != 71 {
				t.Errorf("size %d digest %s", m.Size(), m.Digest())
			}
		})
	}
}

func TestLoadBadBytes(t *testing.T) {
	initRuntime(t)
	good, err := os.ReadFile("testdata/percolumn.onnx")
	if err != nil {
		t.Fatal(err)
	}
	csvBytes, _ := os.ReadFile("testdata/flights.csv")
	tests := []struct {
		name string
		data []byte
		opts Options
		want string
	}{
		{"empty", nil, Options{}, "empty file"},
		{"csv", csvBytes, Options{}, "not an ONNX model"},
		{"json", []byte(`{"model": 1}`), Options{}, "not an ONNX model"},
		{"half", good[:len(good)/2], Options{}, "not an ONNX model"},
		{"one byte short", good[:len(good)-1], Options{}, "not an ONNX model"},
		{"first bytes", good[:8], Options{}, "not an ONNX model"},
		{"digest", good, Options{ExpectedDigest: "sha256:00"}, "digest mismatch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Load(tt.data, tt.opts)
			if err == nil {
				m.Close()
				t.Fatal("Load succeeded")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %q, want %q", err, tt.want)
			}
		})
	}
	// Every prefix of a real model either loads or fails with an error, never
	// aborting the process. (A cut at a field boundary after the graph, e.g. in
	// metadata_props, is still a valid model.)
	loaded := 0
	for n := 0; n < len(good); n++ {
		if m, err := Load(good[:n], Options{}); err == nil {
			m.Close()
			loaded++
		}
	}
	if loaded > len(good)/10 {
		t.Errorf("%d of %d prefixes loaded", loaded, len(good))
	}
	m, err := Load(good, Options{ExpectedDigest: sha256Digest(good)})
	if err != nil {
		t.Fatalf("matching digest: %v", err)
	}
	m.Close()
}

func TestRun(t *testing.T) {
	m := loadModel(t, "nozipmap.onnx")
	in := []Tensor{{Name: "float_input", Shape: []int64{2, 3}, Data: []float32{3, 10, 5, 1, 20, 15}}}
	outs, err := m.Run(in)
	if err != nil {
		t.Fatal(err)
	}
	if len(outs) != 2 || outs[0].Name != "output_label" || outs[1].Name != "probabilities" {
		t.Fatalf("outputs %+v", outs)
	}
	p := outs[1].Data.([]float32)
	if !slices.Equal(outs[1].Shape, []int64{2, 2}) || math.Abs(float64(p[0]+p[1])-1) > 1e-6 {
		t.Errorf("probabilities %v %v", outs[1].Shape, p)
	}
	// concurrent Run on one session gives the same answers
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o, err := m.Run(in)
			if err != nil {
				errs <- err
				return
			}
			if !slices.Equal(o[1].Data.([]float32), p) {
				errs <- fmt.Errorf("concurrent run differs: %v", o[1].Data)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for _, bad := range [][]Tensor{
		nil,
		{{Name: "x", Shape: []int64{1, 3}, Data: []float32{1, 2, 3}}},
		{{Name: "float_input", Shape: []int64{2, 3}, Data: []float32{1, 2, 3}}},
		{{Name: "float_input", Shape: []int64{1, 3}, Data: []uint8{1, 2, 3}}},
	} {
		if _, err := m.Run(bad); err == nil {
			t.Errorf("Run(%v) succeeded", bad)
		}
	}
	m.Close()
	if _, err := m.Run(in); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("Run after Close: %v", err)
	}
}

func TestRunZipMap(t *testing.T) {
	m := loadModel(t, "zipmap.onnx")
	outs, err := m.Run([]Tensor{{Name: "float_input", Shape: []int64{2, 3}, Data: []float32{3, 10, 5, 1, 20, 15}}})
	if err != nil {
		t.Fatal(err)
	}
	z := outs[1]
	if !slices.Equal(z.Keys, []string{"0", "1"}) || !slices.Equal(z.Shape, []int64{2, 2}) {
		t.Errorf("zipmap tensor keys %v shape %v", z.Keys, z.Shape)
	}
}
