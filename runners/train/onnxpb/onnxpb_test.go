package onnxpb

import (
	"bytes"
	"math"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
)

// fields decodes one message level into (number, raw value) pairs in order.
func fields(t *testing.T, b []byte) []field {
	t.Helper()
	var out []field
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			t.Fatalf("bad tag: %v", protowire.ParseError(n))
		}
		b = b[n:]
		m := protowire.ConsumeFieldValue(num, typ, b)
		if m < 0 {
			t.Fatalf("bad field %d: %v", num, protowire.ParseError(m))
		}
		f := field{num: num, typ: typ}
		switch typ {
		case protowire.BytesType:
			f.bytes, _ = protowire.ConsumeBytes(b)
		case protowire.VarintType:
			f.varint, _ = protowire.ConsumeVarint(b)
		case protowire.Fixed32Type:
			v, _ := protowire.ConsumeFixed32(b)
			f.varint = uint64(v)
		}
		out = append(out, f)
		b = b[m:]
	}
	return out
}

type field struct {
	num    protowire.Number
	typ    protowire.Type
	bytes  []byte
	varint uint64
}

func sample() *Model {
	return &Model{
		IRVersion: 8, ProducerName: "ferry", ProducerVersion: "dev", ModelVersion: 1,
		Opsets:   []Opset{{"", 17}, {"ai.onnx.ml", 3}},
		Metadata: []KV{{"features", "a,b"}, {"runId", "r1"}},
		Graph: Graph{
			Name:   "g",
			Inputs: []ValueInfo{{Name: "a", ElemType: Float, Dims: []int64{-1, 1}}},
			Nodes: []Node{{OpType: "Scaler", Domain: "ai.onnx.ml", Inputs: []string{"a"}, Outputs: []string{"y"},
				Attrs: []Attr{AttrFloats("scale", []float32{2, float32(math.NaN())}), AttrInt("n", -1), AttrStrings("s", []string{"x", ""})}}},
			Initializers: []Tensor{{Name: "one", DataType: Float, Dims: []int64{1}, Floats: []float32{1}}},
			Outputs:      []ValueInfo{{Name: "y", ElemType: Float, Dims: []int64{-1, 1}}},
		},
	}
}

// The encoding follows onnx.proto's field numbers, in field order, the same bytes
// every time.
func TestMarshal(t *testing.T) {
	b := sample().Marshal()
	if !bytes.Equal(b, sample().Marshal()) {
		t.Fatal("two encodings differ")
	}
	top := fields(t, b)
	var nums []protowire.Number
	for _, f := range top {
		nums = append(nums, f.num)
	}
	want := []protowire.Number{1, 2, 3, 5, 7, 8, 8, 14, 14}
	if len(nums) != len(want) {
		t.Fatalf("model fields %v, want %v", nums, want)
	}
	for i := range want {
		if nums[i] != want[i] {
			t.Fatalf("model fields %v, want %v", nums, want)
		}
	}
	if top[0].varint != 8 || string(top[1].bytes) != "ferry" {
		t.Errorf("ir_version %d, producer %q", top[0].varint, top[1].bytes)
	}
	kv := fields(t, top[8].bytes)
	if string(kv[0].bytes) != "runId" || string(kv[1].bytes) != "r1" {
		t.Errorf("second metadata entry: %q=%q", kv[0].bytes, kv[1].bytes)
	}
	graph := fields(t, top[4].bytes)
	var node []byte
	for _, f := range graph {
		if f.num == 1 {
			node = f.bytes
		}
	}
	var attrs [][]byte
	for _, f := range fields(t, node) {
		if f.num == 5 {
			attrs = append(attrs, f.bytes)
		}
	}
	if len(attrs) != 3 {
		t.Fatalf("%d attributes, want 3", len(attrs))
	}
	// floats: packed fixed32 in field 7, type FLOATS (6) in field 20.
	fl := fields(t, attrs[0])
	if fl[1].num != 7 || len(fl[1].bytes) != 8 || fl[2].num != 20 || fl[2].varint != 6 {
		t.Fatalf("floats attribute: %+v", fl)
	}
	if v := math.Float32frombits(uint32(fl[1].bytes[0]) | uint32(fl[1].bytes[1])<<8 | uint32(fl[1].bytes[2])<<16 | uint32(fl[1].bytes[3])<<24); v != 2 {
		t.Errorf("first float %g", v)
	}
	// a negative int is a 10-byte two's complement varint.
	in := fields(t, attrs[1])
	if in[1].num != 3 || int64(in[1].varint) != -1 {
		t.Errorf("int attribute: %+v", in)
	}
	// strings keep empty values.
	st := fields(t, attrs[2])
	if len(st) != 4 || st[2].num != 9 || len(st[2].bytes) != 0 {
		t.Errorf("strings attribute: %+v", st)
	}
}
