package local

import (
	"context"
	"fmt"

	"github.com/ferryml/ferry/reconcile"
	"github.com/ferryml/ferry/runners/monitor"
	"github.com/ferryml/ferry/runners/onnx"
)

var _ reconcile.Profiler = (*Runner)(nil)

// Profile builds the candidate's drift reference profile from the training
// rows of its dataset split and the model's own predictions on them.
func (r *Runner) Profile(ctx context.Context, req reconcile.EvalRequest) ([]byte, error) {
	if err := onnx.Init(r.opts.LibraryPath); err != nil {
		return nil, err
	}
	m, err := onnx.Load(req.ONNX, onnx.Options{ExpectedDigest: req.Artifact, IntraOpThreads: 1, InterOpThreads: 1})
	if err != nil {
		return nil, fmt.Errorf("load model %s: %w", req.Artifact, err)
	}
	defer m.Close()
	digest := req.DatasetDigest
	if digest == "" {
		digest = m.Metadata()["datasetDigest"]
	}
	s, err := r.split(ctx, req.Dataset, digest, req.Window)
	if err != nil {
		return nil, err
	}
	// Profile what the model reads, as the prediction log will hold it: the
	// dataset's features that are model inputs by name (an exec trainer's
	// model may read fewer; without named inputs, all of them), or, with
	// types inferred, the model's inputs.
	reads := map[string]bool{}
	for _, in := range m.Inputs() {
		if s.train.Col(in.Name) != nil {
			reads[in.Name] = true
		}
	}
	var features []string
	for _, f := range req.Dataset.Spec.Features {
		if reads[f.Name] || len(reads) == 0 {
			features = append(features, f.Name)
		}
	}
	if len(req.Dataset.Spec.Features) == 0 {
		for _, in := range m.Inputs() {
			if reads[in.Name] {
				features = append(features, in.Name)
			}
		}
	}
	p, err := monitor.Reference(m, s.train, features, req.Model.Spec.Task)
	if err != nil {
		return nil, err
	}
	return p.Marshal()
}
