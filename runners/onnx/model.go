package onnx

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"

	ort "github.com/yalue/onnxruntime_go"
)

// Options configure a Model's onnxruntime session.
type Options struct {
	// IntraOpThreads and InterOpThreads size onnxruntime's thread pools; 0 lets
	// onnxruntime choose.
	IntraOpThreads int
	InterOpThreads int
	// ExpectedDigest, when set ("sha256:<hex>"), must match the model bytes.
	ExpectedDigest string
}

// IOInfo describes one input or output of a model.
type IOInfo struct {
	Name string
	// Type is the tensor element type: "float", "double", "int64", "int32",
	// "string" or "bool" (other tensor types by onnxruntime's name); "sequence" or
	// "map" for non-tensor values.
	Type string
	// Shape of a tensor; -1 marks a dynamic dimension.
	Shape []int64
}

// Tensor is a named tensor. Data is []float32, []float64, []int64, []int32, []bool
// or []string, in row-major order.
type Tensor struct {
	Name  string
	Shape []int64
	Data  any
	// Keys names the columns of a [N,C] float tensor that Run made from a sequence
	// of maps (skl2onnx's ZipMap output); nil otherwise.
	Keys []string
}

// Model is a loaded ONNX model with its onnxruntime session. It is safe for
// concurrent use; Close releases the session.
type Model struct {
	sess     *ort.DynamicAdvancedSession
	inputs   []IOInfo
	outputs  []IOInfo
	meta     map[string]string
	digest   string
	size     int64
	proto    *modelProto
	rssAdded int64 // bytes of resident memory added by creating the session

	closeMu sync.RWMutex
	closed  bool
}

// LoadFile reads the model at path and loads it.
func LoadFile(path string, opts Options) (*Model, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read model: %w", err)
	}
	m, err := Load(data, opts)
	if err != nil {
		return nil, fmt.Errorf("load model %s: %w", path, err)
	}
	return m, nil
}

// Load checks data (see the package documentation) and creates its onnxruntime
// session. Init must have succeeded first.
func Load(data []byte, opts Options) (*Model, error) {
	digest := sha256Digest(data)
	if opts.ExpectedDigest != "" && !strings.EqualFold(opts.ExpectedDigest, digest) {
		return nil, fmt.Errorf("digest mismatch: got %s, want %s", digest, opts.ExpectedDigest)
	}
	proto, err := parseModel(data)
	if err != nil {
		return nil, err
	}
	if !ort.IsInitialized() {
		return nil, errNotInit
	}
	ins, outs, err := ort.GetInputOutputInfoWithONNXData(data)
	if err != nil {
		return nil, fmt.Errorf("onnxruntime: %w", err)
	}
	so, err := ort.NewSessionOptions()
	if err != nil {
		return nil, fmt.Errorf("session options: %w", err)
	}
	defer so.Destroy()
	if opts.IntraOpThreads > 0 {
		if err := so.SetIntraOpNumThreads(opts.IntraOpThreads); err != nil {
			return nil, fmt.Errorf("intra-op threads: %w", err)
		}
	}
	if opts.InterOpThreads > 0 {
		if err := so.SetInterOpNumThreads(opts.InterOpThreads); err != nil {
			return nil, fmt.Errorf("inter-op threads: %w", err)
		}
	}
	m := &Model{
		inputs:  convertInfo(ins),
		outputs: convertInfo(outs),
		meta:    map[string]string{},
		digest:  digest,
		size:    int64(len(data)),
		proto:   proto,
	}
	// RSS is read around the session that stays, not the introspection above.
	before := readRSS()
	m.sess, err = ort.NewDynamicAdvancedSessionWithONNXData(data, names(m.inputs), names(m.outputs), so)
	if err != nil {
		return nil, fmt.Errorf("onnxruntime: %w", err)
	}
	if md, err := m.sess.GetModelMetadata(); err == nil {
		if keys, err := md.GetCustomMetadataMapKeys(); err == nil {
			for _, k := range keys {
				if v, ok, err := md.LookupCustomMetadataMap(k); err == nil && ok {
					m.meta[k] = v
				}
			}
		}
		md.Destroy()
	} else {
		// onnxruntime could not give the metadata; the wire walk has it too.
		for k, v := range proto.metadata {
			m.meta[k] = v
		}
	}
	if after := readRSS(); before > 0 && after > before {
		m.rssAdded = after - before
	}
	return m, nil
}

func names(infos []IOInfo) []string {
	out := make([]string, len(infos))
	for i, in := range infos {
		out[i] = in.Name
	}
	return out
}

func convertInfo(infos []ort.InputOutputInfo) []IOInfo {
	out := make([]IOInfo, len(infos))
	for i, in := range infos {
		io := IOInfo{Name: in.Name}
		switch in.OrtValueType {
		case ort.ONNXTypeTensor:
			io.Type = typeName(in.DataType)
			io.Shape = append([]int64(nil), in.Dimensions...)
		case ort.ONNXTypeSequence:
			io.Type = "sequence"
		case ort.ONNXTypeMap:
			io.Type = "map"
		default:
			io.Type = strings.ToLower(in.OrtValueType.String())
		}
		out[i] = io
	}
	return out
}

func typeName(t ort.TensorElementDataType) string {
	switch t {
	case ort.TensorElementDataTypeFloat:
		return "float"
	case ort.TensorElementDataTypeDouble:
		return "double"
	case ort.TensorElementDataTypeInt64:
		return "int64"
	case ort.TensorElementDataTypeInt32:
		return "int32"
	case ort.TensorElementDataTypeString:
		return "string"
	case ort.TensorElementDataTypeBool:
		return "bool"
	}
	return strings.ToLower(strings.TrimPrefix(t.String(), "ONNX_TENSOR_ELEMENT_DATA_TYPE_"))
}

// Inputs describes the model's inputs in graph order.
func (m *Model) Inputs() []IOInfo { return append([]IOInfo(nil), m.inputs...) }

// Outputs describes the model's outputs in graph order.
func (m *Model) Outputs() []IOInfo { return append([]IOInfo(nil), m.outputs...) }

// Metadata returns the model's metadata_props.
func (m *Model) Metadata() map[string]string {
	out := make(map[string]string, len(m.meta))
	for k, v := range m.meta {
		out[k] = v
	}
	return out
}

// Digest is "sha256:<hex>" of the model bytes.
func (m *Model) Digest() string { return m.digest }

// Size is the model's size in bytes.
func (m *Model) Size() int64 { return m.size }

// ResidentBytes is the resident memory the process gained while the session was
// created (VmRSS before and after); 0 where /proc is not available.
func (m *Model) ResidentBytes() int64 { return m.rssAdded }

// Close releases the onnxruntime session. Calls in flight finish first; later calls
// return an error.
func (m *Model) Close() error {
	m.closeMu.Lock()
	defer m.closeMu.Unlock()
	if m.closed {
		return nil
	}
	m.closed = true
	return m.sess.Destroy()
}

// Run runs the model on raw named tensors, one per model input in any order, and
// returns every output in graph order. It is safe for concurrent use.
func (m *Model) Run(inputs []Tensor) ([]Tensor, error) {
	byName := make(map[string]*Tensor, len(inputs))
	for i := range inputs {
		byName[inputs[i].Name] = &inputs[i]
	}
	var problems []string
	for _, in := range m.inputs {
		if byName[in.Name] == nil {
			problems = append(problems, fmt.Sprintf("missing input %q", in.Name))
		}
	}
	for _, t := range inputs {
		if !hasName(m.inputs, t.Name) {
			problems = append(problems, fmt.Sprintf("unknown input %q", t.Name))
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("run: %s", strings.Join(problems, "; "))
	}
	values := make([]ort.Value, len(m.inputs))
	defer func() {
		for _, v := range values {
			if v != nil {
				v.Destroy()
			}
		}
	}()
	for i, in := range m.inputs {
		v, err := newValue(*byName[in.Name])
		if err != nil {
			return nil, fmt.Errorf("run: input %q: %w", in.Name, err)
		}
		values[i] = v
	}
	outs, _, err := m.run(values)
	return outs, err
}

// runTime is time spent inside onnxruntime: wall clock and the calling thread's CPU.
type runTime struct{ wall, cpu time.Duration }

func (r *runTime) add(o runTime) { r.wall += o.wall; r.cpu += o.cpu }

// run runs the session on prepared input values (in m.inputs order) and converts
// the outputs to Tensors. It also returns the time spent inside onnxruntime.
func (m *Model) run(values []ort.Value) ([]Tensor, runTime, error) {
	m.closeMu.RLock()
	defer m.closeMu.RUnlock()
	if m.closed {
		return nil, runTime{}, fmt.Errorf("run: model is closed")
	}
	outs := make([]ort.Value, len(m.outputs))
	defer func() {
		for _, v := range outs {
			if v != nil {
				v.Destroy()
			}
		}
	}()
	// The goroutine stays on its thread so the thread's CPU clock measures the
	// run (all of it when onnxruntime runs single-threaded).
	runtime.LockOSThread()
	start, cpu0 := time.Now(), threadCPU()
	err := m.sess.Run(values, outs)
	took := runTime{wall: time.Since(start), cpu: threadCPU() - cpu0}
	runtime.UnlockOSThread()
	if err != nil {
		return nil, runTime{}, fmt.Errorf("onnxruntime: %w", err)
	}
	res := make([]Tensor, len(outs))
	for i, v := range outs {
		t, err := fromValue(v)
		if err != nil {
			return nil, runTime{}, fmt.Errorf("output %q: %w", m.outputs[i].Name, err)
		}
		t.Name = m.outputs[i].Name
		res[i] = t
	}
	return res, took, nil
}

func hasName(infos []IOInfo, name string) bool {
	for _, in := range infos {
		if in.Name == name {
			return true
		}
	}
	return false
}

func newValue(t Tensor) (ort.Value, error) {
	shape := ort.NewShape(t.Shape...)
	n := shape.FlattenedSize()
	check := func(l int) error {
		if int64(l) != n {
			return fmt.Errorf("shape %v holds %d values, data has %d", t.Shape, n, l)
		}
		return nil
	}
	switch d := t.Data.(type) {
	case []float32:
		if err := check(len(d)); err != nil {
			return nil, err
		}
		return ort.NewTensor(shape, d)
	case []float64:
		if err := check(len(d)); err != nil {
			return nil, err
		}
		return ort.NewTensor(shape, d)
	case []int64:
		if err := check(len(d)); err != nil {
			return nil, err
		}
		return ort.NewTensor(shape, d)
	case []int32:
		if err := check(len(d)); err != nil {
			return nil, err
		}
		return ort.NewTensor(shape, d)
	case []bool:
		if err := check(len(d)); err != nil {
			return nil, err
		}
		return ort.NewTensor(shape, d)
	case []string:
		if err := check(len(d)); err != nil {
			return nil, err
		}
		st, err := ort.NewStringTensor(shape)
		if err != nil {
			return nil, err
		}
		if err := st.SetContents(d); err != nil {
			st.Destroy()
			return nil, err
		}
		return st, nil
	}
	return nil, fmt.Errorf("unsupported data type %T", t.Data)
}

func fromValue(v ort.Value) (Tensor, error) {
	shape := []int64(v.GetShape())
	switch x := v.(type) {
	case *ort.Tensor[float32]:
		return Tensor{Shape: shape, Data: x.GetData()}, nil
	case *ort.Tensor[float64]:
		return Tensor{Shape: shape, Data: x.GetData()}, nil
	case *ort.Tensor[int64]:
		return Tensor{Shape: shape, Data: x.GetData()}, nil
	case *ort.Tensor[int32]:
		return Tensor{Shape: shape, Data: x.GetData()}, nil
	case *ort.Tensor[bool]:
		return Tensor{Shape: shape, Data: x.GetData()}, nil
	case *ort.StringTensor:
		s, err := x.GetContents()
		if err != nil {
			return Tensor{}, err
		}
		return Tensor{Shape: shape, Data: s}, nil
	case *ort.Sequence:
		return fromSequence(x)
	}
	return Tensor{}, fmt.Errorf("unsupported output type %s", v.GetONNXType())
}

// fromSequence turns a sequence of maps (ZipMap) into a [N,C] float tensor whose
// columns are the sorted-by-first-appearance keys of the first map.
func fromSequence(s *ort.Sequence) (Tensor, error) {
	items, err := s.GetValues()
	if err != nil {
		return Tensor{}, err
	}
	var keys []string
	var data []float32
	for i, it := range items {
		mp, ok := it.(*ort.Map)
		if !ok {
			return Tensor{}, fmt.Errorf("sequence of %s, want a sequence of maps", it.GetONNXType())
		}
		kv, vv, err := mp.GetKeysAndValues()
		if err != nil {
			return Tensor{}, err
		}
		kt, err := fromValue(kv)
		if err != nil {
			return Tensor{}, fmt.Errorf("map keys: %w", err)
		}
		vt, err := fromValue(vv)
		if err != nil {
			return Tensor{}, fmt.Errorf("map values: %w", err)
		}
		ks := keyStrings(kt.Data)
		vals, ok := toFloat64(vt.Data)
		if ks == nil || !ok || len(ks) != len(vals) {
			return Tensor{}, fmt.Errorf("map of %T to %T, want int64 or string keys and float values", kt.Data, vt.Data)
		}
		if i == 0 {
			keys = ks
			data = make([]float32, 0, len(items)*len(keys))
		} else if len(ks) != len(keys) {
			return Tensor{}, fmt.Errorf("row %d has %d classes, row 0 has %d", i, len(ks), len(keys))
		}
		for j := range keys {
			// maps keep their keys in a stable order; look up when it differs
			if ks[j] == keys[j] {
				data = append(data, float32(vals[j]))
				continue
			}
			found := false
			for k := range ks {
				if ks[k] == keys[j] {
					data = append(data, float32(vals[k]))
					found = true
					break
				}
			}
			if !found {
				return Tensor{}, fmt.Errorf("row %d lacks class %q", i, keys[j])
			}
		}
	}
	return Tensor{Shape: []int64{int64(len(items)), int64(len(keys))}, Data: data, Keys: keys}, nil
}

func keyStrings(d any) []string {
	switch k := d.(type) {
	case []string:
		return k
	case []int64:
		out := make([]string, len(k))
		for i, v := range k {
			out[i] = fmt.Sprint(v)
		}
		return out
	}
	return nil
}

// toFloat64 converts numeric tensor data to float64.
func toFloat64(d any) ([]float64, bool) {
	switch x := d.(type) {
	case []float64:
		return x, true
	case []float32:
		out := make([]float64, len(x))
		for i, v := range x {
			out[i] = float64(v)
		}
		return out, true
	case []int64:
		out := make([]float64, len(x))
		for i, v := range x {
			out[i] = float64(v)
		}
		return out, true
	case []int32:
		out := make([]float64, len(x))
		for i, v := range x {
			out[i] = float64(v)
		}
		return out, true
	case []bool:
		out := make([]float64, len(x))
		for i, v := range x {
			if v {
				out[i] = 1
			}
		}
		return out, true
	}
	return nil, false
}

func sha256Digest(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func isInit() bool { return ort.IsInitialized() }
