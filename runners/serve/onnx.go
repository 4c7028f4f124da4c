package serve

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/ferryml/ferry/runners/onnx"
)

// onnxPredictor adapts an onnx.Model to Predictor.
type onnxPredictor struct {
	m       *onnx.Model
	inputs  []IOInfo
	outputs []IOInfo
}

var _ Predictor = (*onnxPredictor)(nil)

// ONNXLoader loads models with onnxruntime (onnx.Init must have succeeded).
// Sessions get one intra-op thread each: a server runs many requests at once,
// and one thread per request beats threads fighting over cores.
func ONNXLoader(opts onnx.Options) Loader {
	if opts.IntraOpThreads == 0 {
		opts.IntraOpThreads = 1
	}
	if opts.InterOpThreads == 0 {
		opts.InterOpThreads = 1
	}
	return func(_ context.Context, data []byte) (Predictor, error) {
		m, err := onnx.Load(data, opts)
		if err != nil {
			return nil, err
		}
		p := &onnxPredictor{m: m}
		for _, in := range m.Inputs() {
			p.inputs = append(p.inputs, IOInfo(in))
		}
		for _, out := range m.Outputs() {
			p.outputs = append(p.outputs, IOInfo(out))
		}
		return p, nil
	}
}

func (p *onnxPredictor) Inputs() []IOInfo  { return p.inputs }
func (p *onnxPredictor) Outputs() []IOInfo { return p.outputs }
func (p *onnxPredictor) Close() error      { return p.m.Close() }

func (p *onnxPredictor) Run(inputs []Tensor) ([]Tensor, error) {
	in := make([]onnx.Tensor, len(inputs))
	for i, t := range inputs {
		in[i] = onnx.Tensor{Name: t.Name, Shape: t.Shape, Data: t.Data}
	}
	outs, err := p.m.Run(in)
	if err != nil {
		return nil, err
	}
	res := make([]Tensor, len(outs))
	for i, t := range outs {
		res[i] = Tensor{Name: t.Name, Shape: t.Shape, Data: t.Data}
	}
	return res, nil
}

// FileResolver resolves artifacts that are file paths, relative ones against
// root. Digests ("sha256:...") need an artifact store; see ChainResolver.
func FileResolver(root string) Resolver {
	return func(_ context.Context, artifact string) ([]byte, error) {
		if strings.HasPrefix(artifact, "sha256:") {
			return nil, fmt.Errorf("artifact %s is a digest, and this server has no artifact store", artifact)
		}
		p := strings.TrimPrefix(artifact, "file://")
		if !filepath.IsAbs(p) {
			p = filepath.Join(root, p)
		}
		return os.ReadFile(p)
	}
}

// DigestResolver resolves "sha256:..." artifacts with get (the artifact store's
// Get) and everything else with files.
func DigestResolver(get func(ctx context.Context, digest string) ([]byte, error), files Resolver) Resolver {
	return func(ctx context.Context, artifact string) ([]byte, error) {
		if strings.HasPrefix(artifact, "sha256:") {
			return get(ctx, artifact)
		}
		return files(ctx, artifact)
	}
}
