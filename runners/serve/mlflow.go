package serve

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// mlflowRequest is a body of MLflow's scoring protocol (mlflow models serve,
// POST /invocations). Exactly one of the four fields is set.
type mlflowRequest struct {
	DataframeSplit *struct {
		Columns []string          `json:"columns"`
		Data    []json.RawMessage `json:"data"`
		Index   json.RawMessage   `json:"index,omitempty"`
	} `json:"dataframe_split"`
	DataframeRecords []json.RawMessage `json:"dataframe_records"`
	Instances        json.RawMessage   `json:"instances"`
	Inputs           json.RawMessage   `json:"inputs"`
	Params           json.RawMessage   `json:"params,omitempty"`
}

// columns is a table of raw JSON cells: cells[c][r] is column c of row r.
type columns struct {
	names []string
	cells [][]json.RawMessage
	rows  int
}

// DecodeMLflow decodes an MLflow scoring request against a model's inputs.
// Columns (dataframe_split, dataframe_records, dicts in instances, the dict form
// of inputs) feed the model inputs of the same name; when the model has a single
// [N, F] input, F columns in order or plain rows feed it.
func DecodeMLflow(body []byte, inputs []IOInfo, lim Limits) (*Batch, error) {
	lim = lim.withDefaults()
	var req mlflowRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, jsonError(err)
	}
	set := 0
	for _, on := range []bool{req.DataframeSplit != nil, req.DataframeRecords != nil, len(req.Instances) > 0, len(req.Inputs) > 0} {
		if on {
			set++
		}
	}
	if set != 1 {
		return nil, badRequest(`request must have exactly one of "dataframe_split", "dataframe_records", "instances" or "inputs"`)
	}
	var (
		cols *columns
		rows []json.RawMessage // plain rows for a single-input model
		err  error
	)
	switch {
	case req.DataframeSplit != nil:
		cols, err = splitColumns(req.DataframeSplit.Columns, req.DataframeSplit.Data)
	case req.DataframeRecords != nil:
		cols, err = recordColumns(req.DataframeRecords)
	case len(req.Instances) > 0:
		cols, rows, err = listOrRecords(req.Instances, "instances")
	default:
		if bytes.HasPrefix(bytes.TrimSpace(req.Inputs), []byte("{")) {
			cols, err = dictColumns(req.Inputs)
		} else {
			cols, rows, err = listOrRecords(req.Inputs, "inputs")
		}
	}
	if err != nil {
		return nil, err
	}
	b := &Batch{Tensors: make([]Tensor, len(inputs))}
	if rows != nil {
		if len(inputs) != 1 {
			return nil, badRequest("plain rows need a model with one input; this one has %d (%s): send named columns", len(inputs), inputNames(inputs))
		}
		b.Rows = len(rows)
		if b.Rows > lim.MaxRows {
			return nil, tooManyRows(b.Rows, lim)
		}
		t, err := rowsTensor(inputs[0], rows, lim)
		if err != nil {
			return nil, err
		}
		b.Tensors[0] = t
		return b, nil
	}
	b.Rows = cols.rows
	if b.Rows > lim.MaxRows {
		return nil, tooManyRows(b.Rows, lim)
	}
	if b.Rows == 0 {
		return nil, badRequest("request has no rows")
	}
	byName := true
	for _, n := range cols.names {
		if modelInput(inputs, n) < 0 {
			byName = false
		}
	}
	if !byName {
		// A single [N, F] input takes all columns in order.
		if len(inputs) == 1 && len(inputs[0].Shape) == 2 && (inputs[0].Shape[1] < 0 || inputs[0].Shape[1] == int64(len(cols.names))) {
			rows := make([]json.RawMessage, cols.rows)
			for r := range rows {
				var buf []byte
				buf = append(buf, '[')
				for c := range cols.names {
					if c > 0 {
						buf = append(buf, ',')
					}
					buf = append(buf, cols.cells[c][r]...)
				}
				rows[r] = append(buf, ']')
			}
			t, err := rowsTensor(inputs[0], rows, lim)
			if err != nil {
				return nil, err
			}
			b.Tensors[0] = t
			return b, nil
		}
		for _, n := range cols.names {
			if modelInput(inputs, n) < 0 {
				return nil, badRequest("unknown column %q (model inputs: %s)", n, inputNames(inputs))
			}
		}
	}
	for k, info := range inputs {
		c := -1
		for i, n := range cols.names {
			if n == info.Name {
				c = i
			}
		}
		if c < 0 {
			return nil, badRequest("missing column %q (model inputs: %s)", info.Name, inputNames(inputs))
		}
		t, err := rowsTensor(info, cols.cells[c], lim)
		if err != nil {
			return nil, err
		}
		b.Tensors[k] = t
	}
	return b, nil
}

func tooManyRows(n int, lim Limits) *Error {
	return &Error{Status: 413, Msg: fmt.Sprintf("request has %d rows; the limit is %d", n, lim.MaxRows)}
}

// rowsTensor builds the tensor of one model input from one raw JSON value per
// row: scalars make [N] (or [N, 1]), arrays of F values make [N, F].
func rowsTensor(info IOInfo, rows []json.RawMessage, lim Limits) (Tensor, error) {
	n := len(rows)
	if n == 0 {
		return Tensor{}, badRequest("input %q has no rows", info.Name)
	}
	width, err := walkData(wrap(rows[0]), func([]byte) error { return nil })
	if err != nil {
		return Tensor{}, badRequest("input %q: row 0: %v", info.Name, err)
	}
	var buf bytes.Buffer
	buf.WriteByte('[')
	for i, r := range rows {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(r)
	}
	buf.WriteByte(']')
	shape := []int64{int64(n)}
	if isArray(rows[0]) {
		shape = append(shape, int64(width))
	}
	total, ok := shapeProduct(shape, lim.MaxElements)
	if !ok {
		return Tensor{}, &Error{Status: 413, Msg: fmt.Sprintf("input %q has more than %d values", info.Name, lim.MaxElements)}
	}
	fitted, ok := fitShape(shape, info.Shape)
	if !ok {
		return Tensor{}, badRequest("input %q: rows of shape %s do not fit the model input shape %s", info.Name, formatShape(shape), formatShape(info.Shape))
	}
	data, err := parseData(buf.Bytes(), declFor(info.Type), info.Type, int(total))
	if err != nil {
		return Tensor{}, badRequest("input %q: %v (every row must have %d values)", info.Name, err, width)
	}
	return Tensor{Name: info.Name, Shape: fitted, Data: data}, nil
}

func isArray(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) > 0 && t[0] == '['
}

// wrap makes a scalar cell an array so walkData can count it.
func wrap(raw json.RawMessage) []byte {
	if isArray(raw) {
		return raw
	}
	return append(append([]byte{'['}, raw...), ']')
}

// declFor is the datatype JSON values are read as for an ONNX input type: any
// number for float inputs, whole numbers for integer inputs.
func declFor(onnxType string) Datatype {
	switch onnxType {
	case "int32", "int64":
		return FP64 // whole numbers in any notation; parseIntToken checks them
	case "bool":
		return BOOL
	case "string":
		return BYTES
	}
	return FP64
}

func splitColumns(names []string, data []json.RawMessage) (*columns, error) {
	if len(names) == 0 {
		return nil, badRequest(`dataframe_split has no "columns"`)
	}
	cols := &columns{names: names, cells: make([][]json.RawMessage, len(names)), rows: len(data)}
	for r, raw := range data {
		var row []json.RawMessage
		if err := json.Unmarshal(raw, &row); err != nil {
			return nil, badRequest("dataframe_split: data row %d is not an array", r)
		}
		if len(row) != len(names) {
			return nil, badRequest("dataframe_split: data row %d has %d values for %d columns", r, len(row), len(names))
		}
		for c, v := range row {
			cols.cells[c] = append(cols.cells[c], v)
		}
	}
	return cols, nil
}

// recordColumns turns records into columns, keeping the first record's key order.
func recordColumns(records []json.RawMessage) (*columns, error) {
	cols := &columns{rows: len(records)}
	index := map[string]int{}
	for r, raw := range records {
		keys, vals, err := objectFields(raw)
		if err != nil {
			return nil, badRequest("record %d: %v", r, err)
		}
		if r == 0 {
			for i, k := range keys {
				if _, dup := index[k]; dup {
					return nil, badRequest("record 0: column %q appears twice", k)
				}
				index[k] = i
				cols.names = append(cols.names, k)
				cols.cells = append(cols.cells, make([]json.RawMessage, 0, len(records)))
			}
		}
		if len(keys) != len(cols.names) {
			return nil, badRequest("record %d has %d columns; record 0 has %d", r, len(keys), len(cols.names))
		}
		for i, k := range keys {
			c, ok := index[k]
			if !ok {
				return nil, badRequest("record %d: column %q is not in record 0", r, k)
			}
			if len(cols.cells[c]) != r {
				return nil, badRequest("record %d: column %q appears twice", r, k)
			}
			cols.cells[c] = append(cols.cells[c], vals[i])
		}
	}
	return cols, nil
}

// objectFields reads a JSON object's keys and raw values in order.
func objectFields(raw json.RawMessage) ([]string, []json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return nil, nil, fmt.Errorf("not an object")
	}
	var keys []string
	var vals []json.RawMessage
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, err
		}
		k, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, nil, err
		}
		keys = append(keys, k)
		vals = append(vals, v)
	}
	if _, err := dec.Token(); err != nil && err != io.EOF {
		return nil, nil, err
	}
	return keys, vals, nil
}

// listOrRecords reads "instances" or the list form of "inputs": a list of
// records (objects) or of plain rows.
func listOrRecords(raw json.RawMessage, field string) (*columns, []json.RawMessage, error) {
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, nil, badRequest("%q must be a list", field)
	}
	if len(list) == 0 {
		return nil, nil, badRequest("%q is empty", field)
	}
	if bytes.HasPrefix(bytes.TrimSpace(list[0]), []byte("{")) {
		cols, err := recordColumns(list)
		return cols, nil, err
	}
	return nil, list, nil
}

// dictColumns reads the dict form of "inputs": each name holds a list of rows.
func dictColumns(raw json.RawMessage) (*columns, error) {
	keys, vals, err := objectFields(raw)
	if err != nil {
		return nil, badRequest(`"inputs": %v`, err)
	}
	cols := &columns{rows: -1}
	for i, k := range keys {
		var list []json.RawMessage
		if err := json.Unmarshal(vals[i], &list); err != nil {
			return nil, badRequest("inputs.%s must be a list", k)
		}
		if cols.rows >= 0 && len(list) != cols.rows {
			return nil, badRequest("inputs.%s has %d rows; inputs.%s has %d", k, len(list), keys[0], cols.rows)
		}
		cols.rows = len(list)
		cols.names = append(cols.names, k)
		cols.cells = append(cols.cells, list)
	}
	if cols.rows < 0 {
		cols.rows = 0
	}
	return cols, nil
}

// appendMLflowResponse appends {"predictions": ...} the way mlflow models serve
// answers: one output gives a list with a value (or an array) per row; several
// outputs give an object of such lists keyed by output name.
func appendMLflowResponse(b []byte, outs []Tensor) []byte {
	b = append(b, `{"predictions":`...)
	if len(outs) == 1 {
		b = appendPerRow(b, outs[0])
	} else {
		b = append(b, '{')
		for i, o := range outs {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, o.Name)
			b = append(b, ':')
			b = appendPerRow(b, o)
		}
		b = append(b, '}')
	}
	return append(b, "}\n"...)
}

// appendPerRow appends a tensor as a list of rows: a scalar per row when each row
// holds one value, else an array per row.
func appendPerRow(b []byte, t Tensor) []byte {
	rows, width := rowsWidth(t)
	b = append(b, '[')
	for r := 0; r < rows; r++ {
		if r > 0 {
			b = append(b, ',')
		}
		if width == 1 {
			b = appendValue(b, t.Data, r)
		} else {
			b = appendValues(b, t.Data, r*width, (r+1)*width)
		}
	}
	return append(b, ']')
}

// rowsWidth splits a tensor into rows along its first dim.
func rowsWidth(t Tensor) (rows, width int) {
	n := dataLen(t.Data)
	if len(t.Shape) == 0 || t.Shape[0] <= 0 {
		return min(n, 1), n
	}
	rows = int(t.Shape[0])
	return rows, n / rows
}
