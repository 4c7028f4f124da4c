package reconcile_test

import (
	"context"
	"errors"
	"net"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/ferryml/ferry/reconcile"
	"github.com/ferryml/ferry/reconcile/records"
	"github.com/ferryml/ferry/runners/onnx"
	"github.com/ferryml/ferry/runners/serve"
	"github.com/ferryml/ferry/store/artifact"
)

// TestHTTPRuntimeAgainstServe drives ferry serve's real admin API on loopback
// with a real ONNX model from the artifact store.
func TestHTTPRuntimeAgainstServe(t *testing.T) {
	if err := onnx.Init(onnx.DefaultLibraryPath(os.Getenv)); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	store, err := artifact.Open(ctx, "mem://", "")
	if err != nil {
		t.Fatal(err)
	}
	model, err := os.ReadFile("../runners/onnx/testdata/zipmap.onnx")
	if err != nil {
		t.Fatal(err)
	}
	digest, err := store.Put(ctx, model)
	if err != nil {
		t.Fatal(err)
	}
	srv := serve.New(serve.Options{
		Load: serve.ONNXLoader(onnx.Options{}), Resolve: serve.DigestResolver(store.Get, serve.FileResolver(t.TempDir())),
		AdminToken: "s3cret",
	})
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	defer srv.Close(ctx)

	rt := reconcile.NewHTTPRuntime(ts.URL, "s3cret")
	if live, err := rt.Status(ctx, "delay-prod"); err != nil || live != nil {
		t.Fatalf("unknown deployment: %+v %v", live, err)
	}
	two := []records.LiveVersion{{Version: 1, Artifact: digest, Weight: 90}, {Version: 2, Artifact: digest, Weight: 10}}
	if err := rt.Deploy(ctx, reconcile.DeploymentState{Name: "delay-prod", Model: "delay", Versions: two, SampleRate: 0.5}); err != nil {
		t.Fatal(err)
	}
	live, err := rt.Status(ctx, "delay-prod")
	if err != nil {
		t.Fatal(err)
	}
	if len(live.Versions) != 2 || live.Versions[0].Version != 1 || live.Versions[0].Weight != 90 || live.Versions[1].Weight != 10 || live.SampleRate != 0.5 {
		t.Fatalf("status after deploy: %+v", live)
	}
	// A wrong token is an error that says so, not "nothing deployed".
	bad := reconcile.NewHTTPRuntime(ts.URL, "nope")
	if _, err := bad.Status(ctx, "delay-prod"); err == nil || errors.Is(err, reconcile.ErrNotObserved) {
		t.Fatalf("wrong token: %v", err)
	}
	// No versions removes the deployment.
	if err := rt.Deploy(ctx, reconcile.DeploymentState{Name: "delay-prod"}); err != nil {
		t.Fatal(err)
	}
	if live, err := rt.Status(ctx, "delay-prod"); err != nil || live != nil {
		t.Fatalf("after removal: %+v %v", live, err)
	}
	// Nothing listening: not observed, so plans fall back on the records.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	if _, err := reconcile.NewHTTPRuntime("http://"+addr, "").Status(ctx, "x"); !errors.Is(err, reconcile.ErrNotObserved) {
		t.Fatalf("unreachable runtime: %v", err)
	}
}
