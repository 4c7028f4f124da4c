package serve

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Error is a request the server refuses: the HTTP status and a message that says
// what is wrong. Handlers answer it as {"error": Msg}.
type Error struct {
	Status int
	Msg    string
}

func (e *Error) Error() string { return e.Msg }

func badRequest(format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Msg: fmt.Sprintf(format, args...)}
}

// Limits bound what one request may ask for.
type Limits struct {
	// MaxBodyBytes caps a request body (default 8 MiB).
	MaxBodyBytes int64
	// MaxRows caps the batch size of one request (default 10,000).
	MaxRows int
	// MaxElements caps the values of one tensor (default 10,000,000).
	MaxElements int64
}

func (l Limits) withDefaults() Limits {
	if l.MaxBodyBytes <= 0 {
		l.MaxBodyBytes = 8 << 20
	}
	if l.MaxRows <= 0 {
		l.MaxRows = 10000
	}
	if l.MaxElements <= 0 {
		l.MaxElements = 10_000_000
	}
	return l
}

// InferRequest is an Open Inference Protocol v2 inference request. Each input's
// data stays raw until the version that answers is known, so it is scanned
// once, straight into the type that version's model wants.
type InferRequest struct {
	ID         string          `json:"id,omitempty"`
	Parameters json.RawMessage `json:"parameters,omitempty"`
	Inputs     []RequestInput  `json:"inputs"`
	Outputs    []RequestOutput `json:"outputs,omitempty"`
}

// RequestInput is one named input tensor of an InferRequest.
type RequestInput struct {
	Name       string          `json:"name"`
	Shape      []int64         `json:"shape"`
	Datatype   Datatype        `json:"datatype"`
	Parameters json.RawMessage `json:"parameters,omitempty"`
	Data       json.RawMessage `json:"data"`
}

// RequestOutput names an output the client wants; none means all.
type RequestOutput struct {
	Name       string          `json:"name"`
	Parameters json.RawMessage `json:"parameters,omitempty"`
}

// Batch is a decoded request ready to run: tensors in the model's input order.
type Batch struct {
	ID      string
	Tensors []Tensor
	Rows    int
	Outputs []string
}

// DecodeInfer decodes an OIP v2 request body against a model's inputs.
func DecodeInfer(body []byte, inputs []IOInfo, lim Limits) (*Batch, error) {
	req, err := decodeEnvelope(body)
	if err != nil {
		return nil, err
	}
	return req.batch(inputs, lim.withDefaults())
}

func decodeEnvelope(body []byte) (*InferRequest, error) {
	var req InferRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, jsonError(err)
	}
	if len(req.Inputs) == 0 {
		return nil, badRequest(`request has no "inputs"`)
	}
	return &req, nil
}

// jsonError turns an encoding/json error into a message for the client.
func jsonError(err error) *Error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return badRequest("bad JSON at byte %d: %v", syn.Offset, syn)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "the request"
		}
		return badRequest("bad JSON: %s must be %s, not %s", field, typ.Type, typ.Value)
	}
	return badRequest("bad JSON: %v", err)
}

func (r *InferRequest) batch(inputs []IOInfo, lim Limits) (*Batch, error) {
	b := &Batch{ID: r.ID, Tensors: make([]Tensor, len(inputs)), Rows: -1}
	for i := range r.Inputs {
		in := &r.Inputs[i]
		for j := range i {
			if r.Inputs[j].Name == in.Name {
				return nil, badRequest("input %q appears twice", in.Name)
			}
		}
		if modelInput(inputs, in.Name) < 0 {
			return nil, badRequest("unknown input %q (model inputs: %s)", in.Name, inputNames(inputs))
		}
	}
	for k, info := range inputs {
		in := findInput(r.Inputs, info.Name)
		if in == nil {
			return nil, badRequest("missing input %q (model inputs: %s)", info.Name, inputNames(inputs))
		}
		t, err := in.tensor(info, lim)
		if err != nil {
			return nil, err
		}
		rows := 1
		if len(t.Shape) > 0 {
			rows = int(t.Shape[0])
		}
		if b.Rows >= 0 && rows != b.Rows {
			return nil, badRequest("input %q has %d rows but input %q has %d", info.Name, rows, inputs[0].Name, b.Rows)
		}
		b.Rows = rows
		b.Tensors[k] = t
	}
	if b.Rows > lim.MaxRows {
		return nil, &Error{Status: http.StatusRequestEntityTooLarge, Msg: fmt.Sprintf("request has %d rows; the limit is %d", b.Rows, lim.MaxRows)}
	}
	for _, o := range r.Outputs {
		b.Outputs = append(b.Outputs, o.Name)
	}
	return b, nil
}

func (in *RequestInput) tensor(info IOInfo, lim Limits) (Tensor, error) {
	if in.Datatype == "" {
		return Tensor{}, badRequest("input %q has no datatype", in.Name)
	}
	if _, ok := in.Datatype.onnxType(); !ok {
		return Tensor{}, badRequest("input %q: unsupported datatype %q (want FP32, FP64, INT32, INT64, BOOL or BYTES)", in.Name, in.Datatype)
	}
	if !compatible(in.Datatype, info.Type) {
		return Tensor{}, badRequest("input %q: datatype %s cannot feed the model input, which is %s", in.Name, in.Datatype, datatypeOf(info.Type))
	}
	if in.Shape == nil {
		return Tensor{}, badRequest("input %q has no shape", in.Name)
	}
	n, ok := shapeProduct(in.Shape, lim.MaxElements)
	if !ok {
		for _, d := range in.Shape {
			if d < 0 {
				return Tensor{}, badRequest("input %q: shape %s has a negative dimension", in.Name, formatShape(in.Shape))
			}
		}
		return Tensor{}, &Error{Status: http.StatusRequestEntityTooLarge, Msg: fmt.Sprintf("input %q: shape %s has more than %d values", in.Name, formatShape(in.Shape), lim.MaxElements)}
	}
	shape, ok := fitShape(in.Shape, info.Shape)
	if !ok {
		return Tensor{}, badRequest("input %q: shape %s does not fit the model input shape %s", in.Name, formatShape(in.Shape), formatShape(info.Shape))
	}
	if len(in.Data) == 0 {
		return Tensor{}, badRequest("input %q has no data", in.Name)
	}
	data, err := parseData(in.Data, in.Datatype, info.Type, int(n))
	if err != nil {
		return Tensor{}, badRequest("input %q: %v", in.Name, err)
	}
	return Tensor{Name: info.Name, Shape: shape, Data: data}, nil
}

func findInput(ins []RequestInput, name string) *RequestInput {
	for i := range ins {
		if ins[i].Name == name {
			return &ins[i]
		}
	}
	return nil
}

func modelInput(inputs []IOInfo, name string) int {
	for i, in := range inputs {
		if in.Name == name {
			return i
		}
	}
	return -1
}

func inputNames(inputs []IOInfo) string {
	names := make([]string, len(inputs))
	for i, in := range inputs {
		names[i] = in.Name
	}
	return strings.Join(names, ", ")
}

// selectOutputs keeps the outputs a request asked for, in the order asked.
func selectOutputs(outs []Tensor, want []string) ([]Tensor, error) {
	if len(want) == 0 {
		return outs, nil
	}
	sel := make([]Tensor, 0, len(want))
	for _, w := range want {
		found := false
		for _, o := range outs {
			if o.Name == w {
				sel = append(sel, o)
				found = true
				break
			}
		}
		if !found {
			names := make([]string, len(outs))
			for i, o := range outs {
				names[i] = o.Name
			}
			return nil, badRequest("unknown output %q (model outputs: %s)", w, strings.Join(names, ", "))
		}
	}
	return sel, nil
}

// appendInferResponse appends an OIP v2 inference response.
func appendInferResponse(b []byte, model string, version int, id string, outs []Tensor) []byte {
	b = append(b, `{"model_name":`...)
	b = appendString(b, model)
	b = append(b, `,"model_version":"`...)
	b = strconv.AppendInt(b, int64(version), 10)
	b = append(b, '"')
	if id != "" {
		b = append(b, `,"id":`...)
		b = appendString(b, id)
	}
	b = append(b, `,"outputs":[`...)
	for i, o := range outs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"name":`...)
		b = appendString(b, o.Name)
		b = append(b, `,"datatype":"`...)
		b = append(b, datatypeOfData(o.Data)...)
		b = append(b, `","shape":[`...)
		for j, d := range o.Shape {
			if j > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendInt(b, d, 10)
		}
		b = append(b, `],"data":`...)
		b = appendValues(b, o.Data, 0, dataLen(o.Data))
		b = append(b, '}')
	}
	return append(b, "]}\n"...)
}

// appendValues appends data[lo:hi] as a flat JSON array.
func appendValues(b []byte, data any, lo, hi int) []byte {
	b = append(b, '[')
	for i := lo; i < hi; i++ {
		if i > lo {
			b = append(b, ',')
		}
		b = appendValue(b, data, i)
	}
	return append(b, ']')
}

// appendValue appends data[i] as JSON; NaN and infinities become null.
func appendValue(b []byte, data any, i int) []byte {
	switch d := data.(type) {
	case []float32:
		return appendFloat(b, float64(d[i]), 32)
	case []float64:
		return appendFloat(b, d[i], 64)
	case []int32:
		return strconv.AppendInt(b, int64(d[i]), 10)
	case []int64:
		return strconv.AppendInt(b, d[i], 10)
	case []bool:
		return strconv.AppendBool(b, d[i])
	case []string:
		return appendString(b, d[i])
	}
	return append(b, "null"...)
}

func appendFloat(b []byte, v float64, bits int) []byte {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return append(b, "null"...)
	}
	return strconv.AppendFloat(b, v, 'g', -1, bits)
}

// appendString appends s as a JSON string.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= utf8.RuneSelf {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
