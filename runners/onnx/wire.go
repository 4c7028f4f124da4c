package onnx

import (
	"errors"
	"fmt"
	"strconv"

	"google.golang.org/protobuf/encoding/protowire"
)

// Field numbers of onnx.proto (onnx/onnx.proto3) that the wire check reads.
const (
	modelIRVersion     = 1
	modelGraph         = 7
	modelOpsetImport   = 8
	modelMetadataProps = 14

	opsetDomain  = 1
	opsetVersion = 2

	graphNode   = 1
	graphInput  = 11
	graphOutput = 12

	nodeOpType    = 4
	nodeAttribute = 5

	attrName    = 1
	attrInts    = 8
	attrStrings = 9

	valueInfoName = 1

	entryKey   = 1
	entryValue = 2
)

// modelProto is what the wire check learns about a model before onnxruntime sees it.
type modelProto struct {
	irVersion int64
	opsets    map[string]int64
	inputs    []string
	outputs   []string
	metadata  map[string]string
	// classLabels are the classlabels_strings/_ints (or classlabels_int64s) of the
	// first classifier-like node (LinearClassifier, TreeEnsembleClassifier,
	// SVMClassifier, ZipMap, ...), in the node's order.
	classLabels []string
}

// parseModel walks data as an ONNX ModelProto at the protobuf wire level. It rejects
// anything onnxruntime could not load as a model: empty input, malformed or
// truncated fields, and a model without ir_version, opset_import or a graph with
// inputs and outputs.
func parseModel(data []byte) (*modelProto, error) {
	if len(data) == 0 {
		return nil, errors.New("empty file")
	}
	m := &modelProto{opsets: map[string]int64{}, metadata: map[string]string{}}
	var graph []byte
	haveGraph := false
	err := walk(data, func(num protowire.Number, typ protowire.Type, v uint64, b []byte) error {
		switch {
		case num == modelIRVersion && typ == protowire.VarintType:
			m.irVersion = int64(v)
		case num == modelGraph && typ == protowire.BytesType:
			graph, haveGraph = b, true
		case num == modelOpsetImport && typ == protowire.BytesType:
			var domain string
			var version int64
			if err := walk(b, func(num protowire.Number, typ protowire.Type, v uint64, b []byte) error {
				switch {
				case num == opsetDomain && typ == protowire.BytesType:
					domain = string(b)
				case num == opsetVersion && typ == protowire.VarintType:
					version = int64(v)
				}
				return nil
			}); err != nil {
				return fmt.Errorf("opset_import: %w", err)
			}
			m.opsets[domain] = version
		case num == modelMetadataProps && typ == protowire.BytesType:
			k, val, err := stringEntry(b)
			if err != nil {
				return fmt.Errorf("metadata_props: %w", err)
			}
			m.metadata[k] = val
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("not an ONNX model (truncated or another format): %w", err)
	}
	switch {
	case m.irVersion <= 0:
		return nil, errors.New("not an ONNX model: no ir_version")
	case len(m.opsets) == 0:
		return nil, errors.New("not an ONNX model: no opset_import")
	case !haveGraph:
		return nil, errors.New("not an ONNX model: no graph")
	}
	if err := m.parseGraph(graph); err != nil {
		return nil, fmt.Errorf("not an ONNX model: graph: %w", err)
	}
	if len(m.inputs) == 0 {
		return nil, errors.New("ONNX graph has no inputs")
	}
	if len(m.outputs) == 0 {
		return nil, errors.New("ONNX graph has no outputs")
	}
	return m, nil
}

func (m *modelProto) parseGraph(b []byte) error {
	return walk(b, func(num protowire.Number, typ protowire.Type, v uint64, b []byte) error {
		if typ != protowire.BytesType {
			return nil
		}
		switch num {
		case graphInput, graphOutput:
			name, err := valueInfoNameOf(b)
			if err != nil {
				return err
			}
			if num == graphInput {
				m.inputs = append(m.inputs, name)
			} else {
				m.outputs = append(m.outputs, name)
			}
		case graphNode:
			return m.parseNode(b)
		}
		return nil
	})
}

func (m *modelProto) parseNode(b []byte) error {
	var labels []string
	err := walk(b, func(num protowire.Number, typ protowire.Type, v uint64, b []byte) error {
		if num != nodeAttribute || typ != protowire.BytesType || m.classLabels != nil || labels != nil {
			return nil
		}
		var name string
		var ints []string
		var strs []string
		err := walk(b, func(num protowire.Number, typ protowire.Type, v uint64, b []byte) error {
			switch {
			case num == attrName && typ == protowire.BytesType:
				name = string(b)
			case num == attrStrings && typ == protowire.BytesType:
				strs = append(strs, string(b))
			case num == attrInts && typ == protowire.VarintType:
				ints = append(ints, strconv.FormatInt(int64(v), 10))
			case num == attrInts && typ == protowire.BytesType: // packed
				for len(b) > 0 {
					x, n := protowire.ConsumeVarint(b)
					if n < 0 {
						return protowire.ParseError(n)
					}
					ints = append(ints, strconv.FormatInt(int64(x), 10))
					b = b[n:]
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		switch name {
		case "classlabels_strings":
			labels = strs
		case "classlabels_ints", "classlabels_int64s":
			labels = ints
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("node: %w", err)
	}
	if len(labels) > 0 {
		m.classLabels = labels
	}
	return nil
}

func valueInfoNameOf(b []byte) (string, error) {
	var name string
	err := walk(b, func(num protowire.Number, typ protowire.Type, v uint64, b []byte) error {
		if num == valueInfoName && typ == protowire.BytesType {
			name = string(b)
		}
		return nil
	})
	return name, err
}

func stringEntry(b []byte) (key, value string, err error) {
	err = walk(b, func(num protowire.Number, typ protowire.Type, v uint64, b []byte) error {
		if typ == protowire.BytesType {
			switch num {
			case entryKey:
				key = string(b)
			case entryValue:
				value = string(b)
			}
		}
		return nil
	})
	return key, value, err
}

// walk calls fn for every field of the message in b. Varint values come in v,
// length-delimited payloads in b; fixed-width fields and groups are skipped.
func walk(b []byte, fn func(num protowire.Number, typ protowire.Type, v uint64, b []byte) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return fmt.Errorf("bad field tag: %w", protowire.ParseError(n))
		}
		if num == 0 {
			return errors.New("field number 0")
		}
		b = b[n:]
		var (
			v       uint64
			payload []byte
		)
		switch typ {
		case protowire.VarintType:
			v, n = protowire.ConsumeVarint(b)
		case protowire.BytesType:
			payload, n = protowire.ConsumeBytes(b)
		case protowire.StartGroupType, protowire.EndGroupType:
			// ONNX uses no groups; a group tag is the first sign of a foreign file.
			return fmt.Errorf("unexpected group field %d", num)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return fmt.Errorf("field %d: %w", num, protowire.ParseError(n))
		}
		b = b[n:]
		if err := fn(num, typ, v, payload); err != nil {
			return err
		}
	}
	return nil
}
