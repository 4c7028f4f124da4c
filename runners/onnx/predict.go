package onnx

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/ferryml/ferry/dataset"
)

// Prediction is a model's output over the rows of a frame.
type Prediction struct {
	// Classes are the class labels of a classifier, in the order of Proba's columns.
	Classes []string
	// Proba is rows × classes probabilities; nil for regression and for
	// classifiers that give only labels.
	Proba [][]float64
	// Score is the positive-class (Classes[1]) probability of a binary classifier.
	Score []float64
	// Label is the predicted class of a classifier.
	Label []string
	// Value is the output of a regression model: its first float output of shape
	// [N] or [N,1]. A binary classifier that outputs only a score has it here too.
	Value []float64
	// NonFinite counts NaN and ±Inf values (nulls included) per feature column;
	// they were imputed when PredictOptions.Impute is set. Nil when there are none.
	NonFinite map[string]int

	runtime runTime   // spent inside onnxruntime
	flat    []float64 // probabilities, rows × nclass
	nclass  int
}

// DefaultChunkRows is how many rows Predict hands onnxruntime at a time.
const DefaultChunkRows = 1 << 16

// PredictOptions refine how Predict maps a frame onto the model.
type PredictOptions struct {
	// Target is the label column, left out of a single [N,F] input. Default: the
	// model's metadata "target".
	Target string
	// Features lists the columns of a single [N,F] input in order. Default: the
	// model's metadata "features", else the frame's Number columns without Target.
	Features []string
	// Impute replaces NaN/±Inf in features with the column's mean of finite values
	// (0 when there are none) instead of returning an error.
	Impute bool
	// ChunkRows bounds the rows per onnxruntime call (DefaultChunkRows when 0).
	ChunkRows int
	// Progress, when set, is called after each chunk with the rows done so far.
	Progress func(done, total int)
}

// Predict runs the model over every row of f with default PredictOptions.
func (m *Model) Predict(f *dataset.Frame) (*Prediction, error) {
	return m.PredictWith(f, PredictOptions{})
}

// PredictWith runs the model over every row of f, in chunks.
func (m *Model) PredictWith(f *dataset.Frame, opts PredictOptions) (*Prediction, error) {
	p, err := m.plan(f, opts)
	if err != nil {
		return nil, err
	}
	return p.predict(opts, false)
}

// feed is how one model input is filled from the frame.
type feed struct {
	info IOInfo
	// cols are the frame columns: one for a per-column input, F for a matrix.
	cols []*dataset.Column
	// rank1 inputs take [n] instead of [n,1] (per-column only).
	rank1 bool
	// matrix inputs take all cols as one [n,F] tensor.
	matrix bool
}

type predictPlan struct {
	m *Model
	// features is the column order of a single [N,F] input (nil per column).
	features []string
	f        *dataset.Frame
	feeds    []feed
	impute   map[*dataset.Column]float64
	nonFin   map[string]int
	classes  []string // from metadata or the graph, before any output is seen
	cstrs    map[*dataset.Column]levelStrings
	inputs   []input
}

// levelStrings returns c's levels as C strings, made once per predict.
func (p *predictPlan) levelStrings(c *dataset.Column) levelStrings {
	if ls, ok := p.cstrs[c]; ok {
		return ls
	}
	if p.cstrs == nil {
		p.cstrs = map[*dataset.Column]levelStrings{}
	}
	ls := newLevelStrings(c.Levels)
	p.cstrs[c] = ls
	return ls
}

func (p *predictPlan) freeStrings() {
	for c, ls := range p.cstrs {
		ls.free()
		delete(p.cstrs, c)
	}
}

// plan matches the frame's columns to the model's inputs and counts non-finite
// values, naming every missing or mistyped column in one error.
func (m *Model) plan(f *dataset.Frame, opts PredictOptions) (*predictPlan, error) {
	if f == nil || f.Rows == 0 {
		return nil, fmt.Errorf("predict: no rows")
	}
	p := &predictPlan{m: m, f: f}
	var problems []string
	if m.matrixInput(f) {
		in := m.inputs[0]
		order := opts.Features
		if len(order) == 0 {
			order = parseList(m.meta["features"])
		}
		if len(order) == 0 {
			target := opts.Target
			if target == "" {
				target = m.meta["target"]
			}
			for _, c := range f.Columns {
				if c.Name != target && c.Type == dataset.Number {
					order = append(order, c.Name)
				}
			}
		}
		if w := in.Shape[1]; w > 0 && int64(len(order)) != w {
			problems = append(problems, fmt.Sprintf("input %q takes %d features, the data gives %d (%s); list them in the model's metadata \"features\"",
				in.Name, w, len(order), strings.Join(order, ", ")))
		}
		fd := feed{info: in, matrix: true}
		p.features = order
		for _, name := range order {
			c := f.Col(name)
			switch {
			case c == nil:
				problems = append(problems, fmt.Sprintf("missing column %q (feature of input %q)", name, in.Name))
			case c.Type != dataset.Number:
				problems = append(problems, fmt.Sprintf("column %q is %s, input %q takes numbers", name, c.Type, in.Name))
			default:
				fd.cols = append(fd.cols, c)
			}
		}
		p.feeds = []feed{fd}
	} else {
		for _, in := range m.inputs {
			c := f.Col(in.Name)
			rank1 := len(in.Shape) == 1
			switch {
			case !rank1 && !(len(in.Shape) == 2 && (in.Shape[1] == 1 || in.Shape[1] == -1)):
				problems = append(problems, fmt.Sprintf("input %q has shape %v, want [N,1] or [N] per column or one [N,F] float input", in.Name, in.Shape))
			case !supportedType(in.Type):
				problems = append(problems, fmt.Sprintf("input %q has type %s, which ferry cannot feed", in.Name, in.Type))
			case c == nil:
				problems = append(problems, fmt.Sprintf("missing column %q (%s input)", in.Name, in.Type))
			case in.Type == "string" && c.Type != dataset.Category:
				problems = append(problems, fmt.Sprintf("column %q is %s, input %q takes strings (a category column)", in.Name, c.Type, in.Name))
			case in.Type != "string" && c.Type != dataset.Number:
				problems = append(problems, fmt.Sprintf("column %q is %s, input %q takes %s numbers", in.Name, c.Type, in.Name, in.Type))
			}
			if c != nil {
				p.feeds = append(p.feeds, feed{info: in, cols: []*dataset.Column{c}, rank1: rank1})
			}
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("model inputs do not match the data: %s", strings.Join(problems, "; "))
	}
	p.count(opts.Impute)
	if len(p.nonFin) > 0 && !opts.Impute {
		return nil, fmt.Errorf("features hold NaN, Inf or null values: %s (impute them or clean the data)", formatCounts(p.nonFin))
	}
	p.classes = m.declaredClasses()
	return p, nil
}

func supportedType(t string) bool {
	switch t {
	case "float", "double", "int64", "int32", "bool", "string":
		return true
	}
	return false
}

// matrixInput reports whether the model takes a single float [N,F] tensor rather
// than one input per column.
func (m *Model) matrixInput(f *dataset.Frame) bool {
	if len(m.inputs) != 1 {
		return false
	}
	in := m.inputs[0]
	if in.Type != "float" && in.Type != "double" || len(in.Shape) != 2 {
		return false
	}
	if in.Shape[1] == 1 || in.Shape[1] == -1 {
		// [N,1] named like a column is that column; otherwise a matrix.
		return f.Col(in.Name) == nil
	}
	return true
}

// count counts non-finite values per feature column and, when imputing, the
// finite means that replace them.
func (p *predictPlan) count(impute bool) {
	for _, fd := range p.feeds {
		for _, c := range fd.cols {
			if c.Type != dataset.Number {
				continue
			}
			bad, sum := 0, 0.0
			for _, v := range c.Floats {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					bad++
				} else {
					sum += v
				}
			}
			if bad == 0 {
				continue
			}
			if p.nonFin == nil {
				p.nonFin = map[string]int{}
				p.impute = map[*dataset.Column]float64{}
			}
			p.nonFin[c.Name] = bad
			if impute {
				mean := 0.0
				if n := len(c.Floats) - bad; n > 0 {
					mean = sum / float64(n)
				}
				p.impute[c] = mean
			}
		}
	}
}

func formatCounts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

// parseList reads a metadata list: a JSON array of strings or comma-separated names.
func parseList(s string) []string {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	if strings.HasPrefix(s, "[") {
		var out []string
		if err := json.Unmarshal([]byte(s), &out); err == nil {
			return out
		}
	}
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// declaredClasses are the class labels from metadata "classes" or the graph's
// classifier node; nil when neither names them.
func (m *Model) declaredClasses() []string {
	if c := parseList(m.meta["classes"]); len(c) > 0 {
		return c
	}
	return m.proto.classLabels
}

// input is one model input's onnxruntime value and the Go memory behind it. A
// value is reused for every chunk of the same length: the next chunk overwrites
// its memory (numbers) or its strings (FillStringTensor) in place.
type input struct {
	n     int
	value ort.Value
	f32   []float32
	f64   []float64
	i64   []int64
	i32   []int32
	bools []bool
}

func (in *input) destroy() {
	if in.value != nil {
		in.value.Destroy()
		in.value = nil
	}
}

// values fills the onnxruntime inputs with rows [lo, hi). The values belong to
// the plan; freeInputs releases them.
func (p *predictPlan) values(lo, hi int) ([]ort.Value, error) {
	if p.inputs == nil {
		p.inputs = make([]input, len(p.feeds))
	}
	vals := make([]ort.Value, len(p.feeds))
	for i, fd := range p.feeds {
		if err := p.fillInput(&p.inputs[i], fd, lo, hi); err != nil {
			return nil, fmt.Errorf("input %q: %w", fd.info.Name, err)
		}
		vals[i] = p.inputs[i].value
	}
	return vals, nil
}

func (p *predictPlan) freeInputs() {
	for i := range p.inputs {
		p.inputs[i].destroy()
	}
	p.inputs = nil
}

func (p *predictPlan) fill(c *dataset.Column, i int) float64 {
	v := c.Floats[i]
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return p.impute[c]
	}
	return v
}

func (p *predictPlan) fillInput(in *input, fd feed, lo, hi int) error {
	n := hi - lo
	fresh := in.value == nil || in.n != n
	if fresh {
		in.destroy()
		*in = input{n: n}
	}
	var shape ort.Shape
	switch {
	case fd.matrix:
		shape = ort.NewShape(int64(n), int64(len(fd.cols)))
	case fd.rank1:
		shape = ort.NewShape(int64(n))
	default:
		shape = ort.NewShape(int64(n), 1)
	}
	if fd.info.Type == "string" {
		return p.fillStrings(in, fresh, shape, fd.cols[0], lo, hi)
	}
	w := len(fd.cols)
	// make allocates the Go memory once; the tensor wraps it.
	switch fd.info.Type {
	case "float":
		if fresh {
			in.f32 = make([]float32, n*w)
		}
		for j, c := range fd.cols {
			_, bad := p.impute[c]
			for i, v := range c.Floats[lo:hi] {
				if bad {
					v = p.fill(c, lo+i)
				}
				in.f32[i*w+j] = float32(v)
			}
		}
		if fresh {
			return newTensor(in, shape, in.f32)
		}
	case "double":
		if fresh {
			in.f64 = make([]float64, n*w)
		}
		for j, c := range fd.cols {
			_, bad := p.impute[c]
			for i, v := range c.Floats[lo:hi] {
				if bad {
					v = p.fill(c, lo+i)
				}
				in.f64[i*w+j] = v
			}
		}
		if fresh {
			return newTensor(in, shape, in.f64)
		}
	case "int64", "int32", "bool":
		c := fd.cols[0]
		_, bad := p.impute[c]
		src := c.Floats[lo:hi]
		get := func(i int) float64 {
			if bad {
				return p.fill(c, lo+i)
			}
			return src[i]
		}
		switch fd.info.Type {
		case "int64":
			if fresh {
				in.i64 = make([]int64, n)
			}
			for i := range in.i64 {
				in.i64[i] = int64(math.Round(get(i)))
			}
			if fresh {
				return newTensor(in, shape, in.i64)
			}
		case "int32":
			if fresh {
				in.i32 = make([]int32, n)
			}
			for i := range in.i32 {
				in.i32[i] = int32(math.Round(get(i)))
			}
			if fresh {
				return newTensor(in, shape, in.i32)
			}
		case "bool":
			if fresh {
				in.bools = make([]bool, n)
			}
			for i := range in.bools {
				in.bools[i] = get(i) != 0
			}
			if fresh {
				return newTensor(in, shape, in.bools)
			}
		}
	default:
		return fmt.Errorf("unsupported input type %s", fd.info.Type)
	}
	return nil
}

func newTensor[T ort.TensorData](in *input, shape ort.Shape, data []T) error {
	t, err := ort.NewTensor(shape, data)
	if err != nil {
		return err
	}
	in.value = t
	return nil
}

func (p *predictPlan) fillStrings(in *input, fresh bool, shape ort.Shape, c *dataset.Column, lo, hi int) error {
	n := hi - lo
	if fresh {
		st, err := ort.NewStringTensor(shape)
		if err != nil {
			return err
		}
		in.value = st
	}
	st := in.value.(*ort.StringTensor)
	if n >= len(c.Levels) && capi() {
		return fillCodes(st, p.levelStrings(c), c.Codes[lo:hi])
	}
	data := make([]string, n)
	for i := range data {
		if k := c.Codes[lo+i]; k >= 0 {
			data[i] = c.Levels[k]
		}
	}
	return st.SetContents(data)
}

// outputRoles says which outputs hold probabilities, labels and scores.
type outputRoles struct {
	proba, label, score int // output index, -1 when absent
}

func findRoles(outs []Tensor, n int) outputRoles {
	r := outputRoles{-1, -1, -1}
	for i, t := range outs {
		rows := len(t.Shape) > 0 && t.Shape[0] == int64(n)
		if !rows {
			continue
		}
		column := len(t.Shape) == 1 || len(t.Shape) == 2 && t.Shape[1] == 1
		switch t.Data.(type) {
		case []float32, []float64:
			if len(t.Shape) == 2 && t.Shape[1] >= 2 && r.proba < 0 {
				r.proba = i
			} else if column && r.score < 0 {
				r.score = i
			}
		case []string, []int64, []int32, []bool:
			if column && r.label < 0 {
				r.label = i
			}
		}
	}
	return r
}

// predict runs every chunk. A lean prediction (what Evaluate scores) keeps the
// probabilities flat and skips the per-row Proba slices, Score and Label that
// Predict's callers get: at 500k rows they are tens of MB of garbage.
func (p *predictPlan) predict(opts PredictOptions, lean bool) (*Prediction, error) {
	chunk := opts.ChunkRows
	if chunk <= 0 {
		chunk = DefaultChunkRows
	}
	N := p.f.Rows
	pred := &Prediction{NonFinite: p.nonFin}
	defer p.freeStrings()
	defer p.freeInputs()
	var (
		roles   outputRoles
		labelOf = map[int64]string{}
	)
	for lo := 0; lo < N; lo += chunk {
		hi := min(lo+chunk, N)
		n := hi - lo
		vals, err := p.values(lo, hi)
		if err != nil {
			return nil, fmt.Errorf("predict: %w", err)
		}
		outs, took, err := p.m.run(vals)
		pred.runtime.add(took)
		if err != nil {
			return nil, fmt.Errorf("predict rows %d-%d: %w", lo+1, hi, err)
		}
		if lo == 0 {
			roles = findRoles(outs, n)
			if roles.proba < 0 && roles.score < 0 && roles.label < 0 {
				return nil, fmt.Errorf("predict: no output with one row per input row among %s", describe(p.m.outputs))
			}
			if roles.proba >= 0 {
				t := outs[roles.proba]
				pred.nclass = int(t.Shape[1])
				pred.Classes = p.classes
				if t.Keys != nil && len(p.m.meta["classes"]) == 0 {
					pred.Classes = t.Keys
				}
				if len(pred.Classes) != pred.nclass {
					pred.Classes = classesFromLabels(outs, roles, n, pred.nclass)
				}
				pred.flat = make([]float64, N*pred.nclass)
			}
			if roles.score >= 0 {
				pred.Value = make([]float64, N)
			}
			if roles.label >= 0 && (!lean || roles.proba < 0) {
				pred.Label = make([]string, N)
			}
		}
		if roles.proba >= 0 {
			t := outs[roles.proba]
			nc := pred.nclass
			if len(t.Shape) != 2 || int(t.Shape[1]) != nc || int(t.Shape[0]) != n {
				return nil, fmt.Errorf("predict: output %q has shape %v, want [%d,%d]", t.Name, t.Shape, n, nc)
			}
			dst := pred.flat[lo*nc : hi*nc]
			switch d := t.Data.(type) {
			case []float32:
				for i, v := range d[:len(dst)] {
					dst[i] = float64(v)
				}
			case []float64:
				copy(dst, d)
			}
		}
		if roles.score >= 0 {
			t := outs[roles.score]
			if err := copyColumn(pred.Value[lo:hi], t); err != nil {
				return nil, fmt.Errorf("predict: output %q: %w", t.Name, err)
			}
		}
		if pred.Label != nil {
			t := outs[roles.label]
			if err := labels(pred.Label[lo:hi], t, labelOf); err != nil {
				return nil, fmt.Errorf("predict: output %q: %w", t.Name, err)
			}
		}
		if opts.Progress != nil {
			opts.Progress(hi, N)
		}
	}
	if roles.proba < 0 && roles.score >= 0 && (roles.label >= 0 || p.m.meta["task"] == "binary-classification") {
		// a binary classifier that outputs only the positive-class probability
		pred.Classes = p.classes
		if len(pred.Classes) != 2 {
			pred.Classes = []string{"0", "1"}
		}
		pred.nclass = 2
		pred.flat = make([]float64, 2*N)
		for i, s := range pred.Value {
			pred.flat[2*i], pred.flat[2*i+1] = 1-s, s
		}
	}
	if pred.Label != nil && pred.Classes == nil {
		pred.Classes = p.classes
	}
	if !lean {
		pred.materialize()
	}
	return pred, nil
}

// materialize fills Proba, Score and Label from the flat probabilities.
func (pred *Prediction) materialize() {
	nc := pred.nclass
	if pred.flat == nil || nc == 0 {
		return
	}
	N := len(pred.flat) / nc
	pred.Proba = make([][]float64, N)
	for i := range pred.Proba {
		pred.Proba[i] = pred.flat[i*nc : (i+1)*nc : (i+1)*nc]
	}
	if nc == 2 {
		pred.Score = make([]float64, N)
		for i := range pred.Score {
			pred.Score[i] = pred.flat[2*i+1]
		}
	}
	if pred.Label == nil {
		pred.Label = make([]string, N)
		for i, row := range pred.Proba {
			if nc == 2 {
				// a score exactly at the threshold is positive, as in package eval
				pred.Label[i] = pred.Classes[boolIndex(row[1] >= 0.5)]
			} else {
				pred.Label[i] = pred.Classes[argmax(row)]
			}
		}
	}
}

// classesFromLabels names the classes of a model that declares none: by the label
// it gives where a class is the most probable, else "0".."C-1".
func classesFromLabels(outs []Tensor, roles outputRoles, n, nclass int) []string {
	classes := make([]string, nclass)
	for i := range classes {
		classes[i] = strconv.Itoa(i)
	}
	if roles.label < 0 {
		return classes
	}
	label := make([]string, n)
	if labels(label, outs[roles.label], map[int64]string{}) != nil {
		return classes
	}
	proba, ok := toFloat64(outs[roles.proba].Data)
	if !ok {
		return classes
	}
	named := make([]string, nclass)
	for i := range n {
		c := argmax(proba[i*nclass : (i+1)*nclass])
		switch named[c] {
		case "":
			named[c] = label[i]
		case label[i]:
		default:
			return classes // labels do not follow the probabilities
		}
	}
	seen := map[string]bool{}
	for _, name := range named {
		if name == "" || seen[name] {
			return classes
		}
		seen[name] = true
	}
	return named
}

func boolIndex(b bool) int {
	if b {
		return 1
	}
	return 0
}

func argmax(xs []float64) int {
	best := 0
	for i, x := range xs {
		if x > xs[best] {
			best = i
		}
	}
	return best
}

func copyColumn(dst []float64, t Tensor) error {
	switch d := t.Data.(type) {
	case []float32:
		if len(d) != len(dst) {
			return fmt.Errorf("%d values for %d rows", len(d), len(dst))
		}
		for i, v := range d {
			dst[i] = float64(v)
		}
	case []float64:
		if len(d) != len(dst) {
			return fmt.Errorf("%d values for %d rows", len(d), len(dst))
		}
		copy(dst, d)
	default:
		return fmt.Errorf("type %T is not a float score", t.Data)
	}
	return nil
}

func labels(dst []string, t Tensor, cache map[int64]string) error {
	var small [16]string // labels of small class numbers, without a map lookup
	intLabel := func(v int64) string {
		if v >= 0 && v < int64(len(small)) {
			if s := small[v]; s != "" {
				return s
			}
		}
		s, ok := cache[v]
		if !ok {
			s = strconv.FormatInt(v, 10)
			cache[v] = s
		}
		if v >= 0 && v < int64(len(small)) {
			small[v] = s
		}
		return s
	}
	n := len(dst)
	switch d := t.Data.(type) {
	case []string:
		if len(d) != n {
			return fmt.Errorf("%d labels for %d rows", len(d), n)
		}
		copy(dst, d)
	case []int64:
		if len(d) != n {
			return fmt.Errorf("%d labels for %d rows", len(d), n)
		}
		for i, v := range d {
			dst[i] = intLabel(v)
		}
	case []int32:
		if len(d) != n {
			return fmt.Errorf("%d labels for %d rows", len(d), n)
		}
		for i, v := range d {
			dst[i] = intLabel(int64(v))
		}
	case []bool:
		if len(d) != n {
			return fmt.Errorf("%d labels for %d rows", len(d), n)
		}
		for i, v := range d {
			dst[i] = intLabel(int64(boolIndex(v)))
		}
	default:
		return fmt.Errorf("type %T is not a label", t.Data)
	}
	return nil
}

func describe(infos []IOInfo) string {
	parts := make([]string, len(infos))
	for i, in := range infos {
		parts[i] = fmt.Sprintf("%s %s%v", in.Name, in.Type, in.Shape)
	}
	return strings.Join(parts, ", ")
}
