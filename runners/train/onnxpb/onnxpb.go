// Package onnxpb writes ONNX models as protobuf bytes.
//
// It covers the part of the ONNX format that ferry's trainers emit: a model with
// opset imports and metadata, one graph of nodes with attributes, initializers
// and typed inputs and outputs. Field numbers follow the public ONNX
// specification (onnx.proto); the encoder is hand-written on protowire so the
// repository carries no generated code.
//
// Encoding is deterministic: fields are written in field-number order, repeated
// fields in the order given, metadata in the order given (callers sort it). The
// same Model value always gives the same bytes.
package onnxpb

import (
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// Tensor element types (TensorProto.DataType).
const (
	Float  int32 = 1
	Int32  int32 = 6
	Int64  int32 = 7
	String int32 = 8
	Bool   int32 = 9
	Double int32 = 11
)

// Model is an ONNX ModelProto.
type Model struct {
	IRVersion       int64
	ProducerName    string
	ProducerVersion string
	Domain          string
	ModelVersion    int64
	DocString       string
	Graph           Graph
	Opsets          []Opset
	Metadata        []KV
}

// Opset is an OperatorSetIdProto: the default domain is "".
type Opset struct {
	Domain  string
	Version int64
}

// KV is a StringStringEntryProto (metadata_props).
type KV struct{ Key, Value string }

// Graph is a GraphProto.
type Graph struct {
	Name         string
	Nodes        []Node
	Initializers []Tensor
	Inputs       []ValueInfo
	Outputs      []ValueInfo
}

// Node is a NodeProto.
type Node struct {
	Inputs  []string
	Outputs []string
	Name    string
	OpType  string
	Domain  string
	Attrs   []Attr
}

// ValueInfo is a typed graph input or output. Dims of -1 are dynamic ("N").
type ValueInfo struct {
	Name     string
	ElemType int32
	Dims     []int64
}

// Tensor is a TensorProto with its data in the field for its type.
type Tensor struct {
	Name     string
	Dims     []int64
	DataType int32
	Floats   []float32
	Int64s   []int64
	Strings  []string
}

// Attribute types (AttributeProto.AttributeType).
const (
	attrFloat   = 1
	attrInt     = 2
	attrString  = 3
	attrTensor  = 4
	attrFloats  = 6
	attrInts    = 7
	attrStrings = 8
)

// Attr is an AttributeProto. Build one with the constructors below.
type Attr struct {
	Name    string
	typ     int
	f       float32
	i       int64
	s       string
	t       *Tensor
	floats  []float32
	ints    []int64
	strings []string
}

func AttrFloat(name string, v float32) Attr    { return Attr{Name: name, typ: attrFloat, f: v} }
func AttrInt(name string, v int64) Attr        { return Attr{Name: name, typ: attrInt, i: v} }
func AttrString(name string, v string) Attr    { return Attr{Name: name, typ: attrString, s: v} }
func AttrTensor(name string, t Tensor) Attr    { return Attr{Name: name, typ: attrTensor, t: &t} }
func AttrFloats(name string, v []float32) Attr { return Attr{Name: name, typ: attrFloats, floats: v} }
func AttrInts(name string, v []int64) Attr     { return Attr{Name: name, typ: attrInts, ints: v} }
func AttrStrings(name string, v []string) Attr { return Attr{Name: name, typ: attrStrings, strings: v} }

// Marshal encodes the model.
func (m *Model) Marshal() []byte {
	var b []byte
	b = appendVarint(b, 1, uint64(m.IRVersion))
	b = appendString(b, 2, m.ProducerName)
	b = appendString(b, 3, m.ProducerVersion)
	b = appendString(b, 4, m.Domain)
	b = appendVarint(b, 5, uint64(m.ModelVersion))
	b = appendString(b, 6, m.DocString)
	b = appendMessage(b, 7, m.Graph.marshal())
	for _, o := range m.Opsets {
		var ob []byte
		ob = appendString(ob, 1, o.Domain)
		ob = appendVarint(ob, 2, uint64(o.Version))
		b = appendMessage(b, 8, ob)
	}
	for _, kv := range m.Metadata {
		var kb []byte
		kb = appendString(kb, 1, kv.Key)
		kb = appendString(kb, 2, kv.Value)
		b = appendMessage(b, 14, kb)
	}
	return b
}

func (g *Graph) marshal() []byte {
	var b []byte
	for i := range g.Nodes {
		b = appendMessage(b, 1, g.Nodes[i].marshal())
	}
	b = appendString(b, 2, g.Name)
	for i := range g.Initializers {
		b = appendMessage(b, 5, g.Initializers[i].marshal())
	}
	for _, v := range g.Inputs {
		b = appendMessage(b, 11, v.marshal())
	}
	for _, v := range g.Outputs {
		b = appendMessage(b, 12, v.marshal())
	}
	return b
}

func (n *Node) marshal() []byte {
	var b []byte
	for _, s := range n.Inputs {
		b = protowire.AppendTag(b, 1, protowire.BytesType)
		b = protowire.AppendString(b, s)
	}
	for _, s := range n.Outputs {
		b = protowire.AppendTag(b, 2, protowire.BytesType)
		b = protowire.AppendString(b, s)
	}
	b = appendString(b, 3, n.Name)
	b = appendString(b, 4, n.OpType)
	for i := range n.Attrs {
		b = appendMessage(b, 5, n.Attrs[i].marshal())
	}
	b = appendString(b, 7, n.Domain)
	return b
}

func (a *Attr) marshal() []byte {
	var b []byte
	b = appendString(b, 1, a.Name)
	switch a.typ {
	case attrFloat:
		b = protowire.AppendTag(b, 2, protowire.Fixed32Type)
		b = protowire.AppendFixed32(b, math.Float32bits(a.f))
	case attrInt:
		b = protowire.AppendTag(b, 3, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(a.i))
	case attrString:
		b = protowire.AppendTag(b, 4, protowire.BytesType)
		b = protowire.AppendString(b, a.s)
	case attrTensor:
		b = appendMessage(b, 5, a.t.marshal())
	case attrFloats:
		b = appendPackedFloats(b, 7, a.floats)
	case attrInts:
		b = appendPackedInts(b, 8, a.ints)
	case attrStrings:
		for _, s := range a.strings {
			b = protowire.AppendTag(b, 9, protowire.BytesType)
			b = protowire.AppendString(b, s)
		}
	}
	b = protowire.AppendTag(b, 20, protowire.VarintType)
	b = protowire.AppendVarint(b, uint64(a.typ))
	return b
}

func (t *Tensor) marshal() []byte {
	var b []byte
	b = appendPackedInts(b, 1, t.Dims)
	b = protowire.AppendTag(b, 2, protowire.VarintType)
	b = protowire.AppendVarint(b, uint64(t.DataType))
	b = appendPackedFloats(b, 4, t.Floats)
	for _, s := range t.Strings {
		b = protowire.AppendTag(b, 6, protowire.BytesType)
		b = protowire.AppendString(b, s)
	}
	b = appendPackedInts(b, 7, t.Int64s)
	b = appendString(b, 8, t.Name)
	return b
}

func (v *ValueInfo) marshal() []byte {
	var shape []byte
	for _, d := range v.Dims {
		var db []byte
		if d < 0 {
			db = appendString(db, 2, "N")
		} else {
			db = protowire.AppendTag(db, 1, protowire.VarintType)
			db = protowire.AppendVarint(db, uint64(d))
		}
		shape = appendMessage(shape, 1, db)
	}
	var tensor []byte
	tensor = protowire.AppendTag(tensor, 1, protowire.VarintType)
	tensor = protowire.AppendVarint(tensor, uint64(v.ElemType))
	tensor = appendMessage(tensor, 2, shape)
	var typ []byte
	typ = appendMessage(typ, 1, tensor)
	var b []byte
	b = appendString(b, 1, v.Name)
	b = appendMessage(b, 2, typ)
	return b
}

func appendVarint(b []byte, num protowire.Number, v uint64) []byte {
	if v == 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

func appendString(b []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

func appendMessage(b []byte, num protowire.Number, m []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, m)
}

func appendPackedFloats(b []byte, num protowire.Number, v []float32) []byte {
	if len(v) == 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(4*len(v)))
	for _, f := range v {
		b = protowire.AppendFixed32(b, math.Float32bits(f))
	}
	return b
}

func appendPackedInts(b []byte, num protowire.Number, v []int64) []byte {
	if len(v) == 0 {
		return b
	}
	n := 0
	for _, x := range v {
		n += protowire.SizeVarint(uint64(x))
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(n))
	for _, x := range v {
		b = protowire.AppendVarint(b, uint64(x))
	}
	return b
}
