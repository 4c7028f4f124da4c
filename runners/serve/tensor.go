package serve

import (
	"context"
	"fmt"
)

// Tensor is a named, shaped block of values. Data is []float32, []float64,
// []int32, []int64, []bool or []string; its length is the product of Shape.
// It mirrors onnx.Tensor so values pass to onnxruntime without copying.
type Tensor struct {
	Name  string
	Shape []int64
	Data  any
}

// IOInfo describes a model input or output: its name, ONNX element type
// ("float", "double", "int32", "int64", "bool", "string") and shape (-1 =
// dynamic).
type IOInfo struct {
	Name  string
	Type  string
	Shape []int64
}

// Predictor is one loaded model version. Run must be safe for concurrent use.
type Predictor interface {
	Inputs() []IOInfo
	Outputs() []IOInfo
	Run(inputs []Tensor) ([]Tensor, error)
	Close() error
}

// Loader turns model bytes into a Predictor.
type Loader func(ctx context.Context, data []byte) (Predictor, error)

// Resolver returns the bytes of an artifact reference: a "sha256:<hex>" digest of
// the project's artifact store or a file path.
type Resolver func(ctx context.Context, artifact string) ([]byte, error)

// Datatype is an Open Inference Protocol tensor datatype.
type Datatype string

const (
	FP32  Datatype = "FP32"
	FP64  Datatype = "FP64"
	INT32 Datatype = "INT32"
	INT64 Datatype = "INT64"
	BOOL  Datatype = "BOOL"
	BYTES Datatype = "BYTES"
)

// onnxType maps an OIP datatype to the ONNX element type name used by IOInfo.
func (d Datatype) onnxType() (string, bool) {
	switch d {
	case FP32:
		return "float", true
	case FP64:
		return "double", true
	case INT32:
		return "int32", true
	case INT64:
		return "int64", true
	case BOOL:
		return "bool", true
	case BYTES:
		return "string", true
	}
	return "", false
}

// datatypeOf maps an ONNX element type name to its OIP datatype.
func datatypeOf(onnxType string) Datatype {
	switch onnxType {
	case "float":
		return FP32
	case "double":
		return FP64
	case "int32":
		return INT32
	case "int64":
		return INT64
	case "bool":
		return BOOL
	case "string":
		return BYTES
	}
	return Datatype(onnxType)
}

// datatypeOfData is the OIP datatype of a Tensor's Data.
func datatypeOfData(data any) Datatype {
	switch data.(type) {
	case []float32:
		return FP32
	case []float64:
		return FP64
	case []int32:
		return INT32
	case []int64:
		return INT64
	case []bool:
		return BOOL
	case []string:
		return BYTES
	}
	return Datatype(fmt.Sprintf("%T", data))
}

// dataLen is the number of elements in a Tensor's Data.
func dataLen(data any) int {
	switch d := data.(type) {
	case []float32:
		return len(d)
	case []float64:
		return len(d)
	case []int32:
		return len(d)
	case []int64:
		return len(d)
	case []bool:
		return len(d)
	case []string:
		return len(d)
	}
	return 0
}

// zeroData allocates n zero values of an ONNX element type.
func zeroData(onnxType string, n int) (any, error) {
	switch onnxType {
	case "float":
		return make([]float32, n), nil
	case "double":
		return make([]float64, n), nil
	case "int32":
		return make([]int32, n), nil
	case "int64":
		return make([]int64, n), nil
	case "bool":
		return make([]bool, n), nil
	case "string":
		return make([]string, n), nil
	}
	return nil, fmt.Errorf("unsupported element type %q", onnxType)
}

// shapeProduct multiplies dims; ok is false on a negative dim or overflow past max.
func shapeProduct(shape []int64, max int64) (n int64, ok bool) {
	n = 1
	for _, d := range shape {
		if d < 0 {
			return 0, false
		}
		if d != 0 && n > max/d {
			return 0, false
		}
		n *= d
	}
	return n, true
}

// fitShape checks a request shape against a model input shape and returns the
// shape to run with. Besides an exact match (dynamic dims match anything) it
// accepts two shorthands clients use: one row without the batch dim ([F] for
// [-1, F]) and a column without its trailing 1 ([N] for [-1, 1]).
func fitShape(req, model []int64) ([]int64, bool) {
	match := func(s []int64) bool {
		if len(s) != len(model) {
			return false
		}
		for i, d := range model {
			if d >= 0 && s[i] != d {
				return false
			}
		}
		return true
	}
	if len(model) == 0 {
		return req, true // a model without shape information takes what comes
	}
	if match(req) {
		return req, true
	}
	if len(req) == len(model)-1 {
		if len(model) == 2 && model[1] == 1 && len(req) == 1 {
			return []int64{req[0], 1}, true
		}
		s := append([]int64{1}, req...)
		if match(s) {
			return s, true
		}
	}
	return nil, false
}

func formatShape(s []int64) string {
	b := []byte{'['}
	for i, d := range s {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = fmt.Appendf(b, "%d", d)
	}
	return string(append(b, ']'))
}
