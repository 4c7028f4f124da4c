package serve_test

import (
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferryml/ferry/reconcile"
	"github.com/ferryml/ferry/reconcile/records"
	"github.com/ferryml/ferry/runners/onnx"
	"github.com/ferryml/ferry/runners/serve"
)

// The reconciler drives ferry serve through its admin API with
// reconcile.HTTPRuntime: this holds the two sides to one contract.
func TestReconcilerRuntimeContract(t *testing.T) {
	if err := onnx.Init(onnx.DefaultLibraryPath(os.Getenv)); err != nil {
		t.Fatal(err)
	}
	model, _ := filepath.Abs("testdata/percolumn.onnx")
	srv := serve.New(serve.Options{Load: serve.ONNXLoader(onnx.Options{}), Resolve: serve.FileResolver("."), AdminToken: "tok"})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- srv.Serve(ctx, ln) }()
	defer func() { cancel(); <-done }()
	url := "http://" + ln.Addr().String()
	rt := reconcile.NewHTTPRuntime(url, "tok")

	if live, err := rt.Status(ctx, "delay-prod"); err != nil || live != nil {
		t.Fatalf("unknown deployment: %+v, %v", live, err)
	}
	canary := reconcile.DeploymentState{Name: "delay-prod", Model: "delay", SampleRate: 0.5, Versions: []records.LiveVersion{
		{Version: 1, Artifact: model, Weight: 90}, {Version: 2, Artifact: model, Weight: 10},
	}}
	if err := rt.Deploy(ctx, canary); err != nil {
		t.Fatal(err)
	}
	for range 40 {
		resp, err := http.Post(url+"/v2/models/delay-prod/infer", "application/json", strings.NewReader(`{"inputs":[
			{"name":"distance","shape":[1,1],"datatype":"FP32","data":[1797]},
			{"name":"origin","shape":[1,1],"datatype":"BYTES","data":["LAX"]},
			{"name":"hour","shape":[1,1],"datatype":"INT64","data":[6]}]}`))
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("infer: %v %v", resp, err)
		}
		resp.Body.Close()
	}
	live, err := rt.Status(ctx, "delay-prod")
	if err != nil {
		t.Fatal(err)
	}
	if live.Model != "delay" || live.SampleRate != 0.5 || len(live.Versions) != 2 ||
		live.Versions[0].Weight != 90 || live.Versions[1].Weight != 10 ||
		live.Versions[0].Requests+live.Versions[1].Requests != 40 || live.Versions[0].LatencyP99Ms <= 0 {
		t.Fatalf("status as the reconciler sees it: %+v", live)
	}
	// A version that cannot load fails the deploy, and the runtime keeps the canary.
	bad := canary
	bad.Versions = []records.LiveVersion{{Version: 3, Artifact: "missing.onnx", Weight: 100}}
	if err := rt.Deploy(ctx, bad); err == nil || !strings.Contains(err.Error(), "422") {
		t.Fatalf("deploy of a missing artifact: %v", err)
	}
	if live, _ := rt.Status(ctx, "delay-prod"); len(live.Versions) != 2 {
		t.Fatalf("after a failed deploy: %+v", live)
	}
	// No versions removes the deployment.
	if err := rt.Deploy(ctx, reconcile.DeploymentState{Name: "delay-prod"}); err != nil {
		t.Fatal(err)
	}
	if live, err := rt.Status(ctx, "delay-prod"); err != nil || live != nil {
		t.Fatalf("after removal: %+v, %v", live, err)
	}
}
