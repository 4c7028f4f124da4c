package store

import (
	"context"
	"strconv"
	"testing"
	"time"
)

// flightPayload is a serving request's row: four features in, label and
// probabilities out.
type flightPayload struct{}

func (flightPayload) AppendInputs(dst []byte, r int) []byte {
	dst = append(dst, `{"distance":`...)
	dst = strconv.AppendInt(dst, int64(1000+r), 10)
	return append(dst, `,"hour":6,"weekday":1,"month":3}`...)
}

func (flightPayload) AppendOutputs(dst []byte, r int) []byte {
	return append(dst, `{"label":0,"probabilities":[0.88064319,0.11935681]}`...)
}

// BenchmarkWriterSQLite is the cost of logging one single-row request: queue,
// render, insert. ns/op is per row, on the writer's goroutine.
func BenchmarkWriterSQLite(b *testing.B) {
	db, err := Open(context.Background(), "sqlite://bench.db", b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	w := NewWriter(db, WriterOptions{Queue: 4096, OnFull: PolicyBlock})
	ctx := context.Background()
	now := time.Now()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		w.Enqueue(ctx, Entry{Time: now, Deployment: "flights", Version: 1, RequestID: "r", Latency: time.Millisecond, Rows: 1, Payload: flightPayload{}})
	}
	if err := w.Close(ctx); err != nil {
		b.Fatal(err)
	}
}
