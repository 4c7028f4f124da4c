package store

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// rowPayload renders row r as {"x": r} / {"y": 2r}.
type rowPayload struct{ base int }

func (p rowPayload) AppendInputs(dst []byte, r int) []byte {
	return fmt.Appendf(dst, `{"x":%d}`, p.base+r)
}
func (p rowPayload) AppendOutputs(dst []byte, r int) []byte {
	return fmt.Appendf(dst, `{"y":%d}`, 2*(p.base+r))
}

func openTest(t *testing.T) *DB {
	t.Helper()
	url := "sqlite://" + filepath.Join("log", "p.db")
	db, err := Open(context.Background(), url, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestWriteScanFilter(t *testing.T) {
	ctx := context.Background()
	dbs := map[string]*DB{"sqlite": openTest(t)}
	if url := os.Getenv("FERRY_TEST_POSTGRES_URL"); url != "" {
		db, err := Open(ctx, url, "")
		if err != nil {
			t.Fatal(err)
		}
		db.b.(*postgresDB).conn.Exec(ctx, "TRUNCATE predictions, prediction_drops")
		t.Cleanup(func() { db.Close() })
		dbs["postgres"] = db
	} else {
		t.Log("FERRY_TEST_POSTGRES_URL unset: PostgreSQL not tested")
	}
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC)
	var rows []Prediction
	for i := range 600 { // more than one multi-row INSERT
		dep := "a"
		if i%3 == 0 {
			dep = "b"
		}
		rows = append(rows, Prediction{
			Time: t0.Add(time.Duration(i) * time.Second), Deployment: dep, Version: 1 + i%2,
			RequestID: "r" + strconv.Itoa(i), Row: 0,
			Inputs: json.RawMessage(fmt.Sprintf(`{"x": %d}`, i)), Outputs: json.RawMessage(`{"y": [0.25, 0.75]}`), LatencyMs: 1.5,
		})
	}
	for name, db := range dbs {
		t.Run(name, func(t *testing.T) {
			if err := db.Write(ctx, rows, []Drop{{Time: t0, Deployment: "a", Rows: 7}, {Time: t0.Add(time.Hour), Deployment: "b", Rows: 3}}); err != nil {
				t.Fatal(err)
			}
			tests := []struct {
				f           Filter
				want, drops int64
			}{
				{Filter{}, 600, 10},
				{Filter{Deployment: "b"}, 200, 3},
				{Filter{Since: t0.Add(100 * time.Second)}, 500, 3},
				{Filter{Deployment: "a", Until: t0.Add(9 * time.Second)}, 6, 7},
			}
			for _, tt := range tests {
				n, err := db.Count(ctx, tt.f)
				if err != nil || n != tt.want {
					t.Errorf("Count(%+v) = %d, %v; want %d", tt.f, n, err, tt.want)
				}
				d, err := db.Dropped(ctx, tt.f)
				if err != nil || d != tt.drops {
					t.Errorf("Dropped(%+v) = %d, %v; want %d", tt.f, d, err, tt.drops)
				}
			}
			var got []Prediction
			err := db.Scan(ctx, Filter{Deployment: "b", Limit: 2}, func(p *Prediction) error {
				q := *p
				q.Inputs = append(json.RawMessage(nil), p.Inputs...)
				got = append(got, q)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 2 || !got[0].Time.Equal(t0) || got[1].RequestID != "r3" || got[1].Version != 2 || got[1].LatencyMs != 1.5 {
				t.Fatalf("scan = %+v", got)
			}
			var x struct{ X int }
			if err := json.Unmarshal(got[1].Inputs, &x); err != nil || x.X != 3 {
				t.Fatalf("inputs %s: %v", got[1].Inputs, err)
			}
		})
	}
}

func TestOpenRejectsUnknownURL(t *testing.T) {
	for _, url := range []string{"mysql://x", "sqlite://", "predictions.db"} {
		if _, err := Open(context.Background(), url, t.TempDir()); err == nil {
			t.Errorf("Open(%q) succeeded", url)
		}
	}
}

// blockingSink holds every Write until release is closed.
type blockingSink struct {
	release chan struct{}
	mu      sync.Mutex
	rows    int64
	drops   int64
	batches int
}

func (s *blockingSink) Write(ctx context.Context, rows []Prediction, drops []Drop) error {
	<-s.release
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rows += int64(len(rows))
	for _, d := range drops {
		s.drops += d.Rows
	}
	s.batches++
	return nil
}

func TestWriterDropPolicyCountsEveryRow(t *testing.T) {
	sink := &blockingSink{release: make(chan struct{})}
	var onDrop int64
	var mu sync.Mutex
	w := NewWriter(sink, WriterOptions{Queue: 4, OnFull: PolicyDrop, OnDrop: func(d string, n int) {
		mu.Lock()
		onDrop += int64(n)
		mu.Unlock()
	}})
	accepted, rejected := 0, 0
	for i := range 50 {
		e := Entry{Time: time.Now(), Deployment: "d", Version: 1, RequestID: strconv.Itoa(i), Rows: 2, Payload: rowPayload{i}}
		if w.Enqueue(context.Background(), e) {
			accepted++
		} else {
			rejected++
		}
	}
	if rejected == 0 {
		t.Fatal("a full queue dropped nothing")
	}
	close(sink.release)
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if sink.rows != int64(2*accepted) || sink.drops != int64(2*rejected) || onDrop != int64(2*rejected) {
		t.Fatalf("rows %d drops %d onDrop %d; accepted %d rejected %d entries of 2 rows", sink.rows, sink.drops, onDrop, accepted, rejected)
	}
	if w.Written()+w.Dropped() != 100 {
		t.Fatalf("written %d + dropped %d != 100", w.Written(), w.Dropped())
	}
}

func TestWriterBlockPolicyWaitsAndBatches(t *testing.T) {
	db := openTest(t)
	w := NewWriter(db, WriterOptions{Queue: 8, MaxBatch: 64, OnFull: PolicyBlock})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 250 {
				if !w.Enqueue(context.Background(), Entry{Time: time.Now(), Deployment: "d", Version: 1, Rows: 1, Payload: rowPayload{g*1000 + i}}) {
					t.Error("blocking enqueue dropped")
				}
			}
		}()
	}
	wg.Wait()
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	n, _ := db.Count(context.Background(), Filter{})
	d, _ := db.Dropped(context.Background(), Filter{})
	if n != 2000 || d != 0 {
		t.Fatalf("stored %d, dropped %d; want 2000, 0", n, d)
	}
	// After Close nothing is accepted, and the refusal is counted.
	if w.Enqueue(context.Background(), Entry{Deployment: "d", Rows: 1, Payload: rowPayload{}}) || w.Dropped() != 1 {
		t.Fatalf("enqueue after close: dropped %d", w.Dropped())
	}
}

func TestWriterBlockHonoursContext(t *testing.T) {
	sink := &blockingSink{release: make(chan struct{})}
	w := NewWriter(sink, WriterOptions{Queue: 1, OnFull: PolicyBlock})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	// The first entry may be taken by the writer goroutine; fill the queue.
	for range 3 {
		w.Enqueue(context.Background(), Entry{Deployment: "d", Rows: 1, Payload: rowPayload{}})
		if w.Len() == 1 {
			break
		}
	}
	if w.Enqueue(ctx, Entry{Deployment: "d", Rows: 1, Payload: rowPayload{}}) {
		t.Fatal("enqueue into a full queue with a done context succeeded")
	}
	close(sink.release)
	w.Close(context.Background())
	if sink.drops != 1 {
		t.Fatalf("drops logged %d, want 1", sink.drops)
	}
}

func TestFrameSpreadsInputsAndOutputs(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	rows := []Prediction{
		{Time: t0, Deployment: "d", Version: 1, RequestID: "a", Inputs: json.RawMessage(`{"origin":"LAX","distance":1797,"late":true}`), Outputs: json.RawMessage(`{"probabilities":[0.25,0.75],"label":1}`), LatencyMs: 0.5},
		{Time: t0.Add(time.Second), Deployment: "d", Version: 2, RequestID: "b", Row: 1, Inputs: json.RawMessage(`{"origin":"SEA","distance":"far","extra":null}`), Outputs: json.RawMessage(`{"probabilities":[[0.5],[0.5]],"label":0}`), LatencyMs: 1},
	}
	if err := db.Write(ctx, rows, nil); err != nil {
		t.Fatal(err)
	}
	f, err := db.Frame(ctx, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	want := "time deployment version request_id row latency_ms distance late origin out_label out_probabilities_0 out_probabilities_1 extra" // in order of first appearance
	if got := strings.Join(f.Names(), " "); got != want || f.Rows != 2 {
		t.Fatalf("columns %q (%d rows), want %q", got, f.Rows, want)
	}
	if c := f.Col("distance"); c.Type.String() != "category" || c.String(0) != "1797" || c.String(1) != "far" {
		t.Fatalf("distance turned to text: %+v", c)
	}
	if c := f.Col("late"); c.Floats[0] != 1 || !c.IsNull(1) {
		t.Fatalf("late: %+v", c)
	}
	if c := f.Col("out_probabilities_1"); c.Floats[0] != 0.75 || c.Floats[1] != 0.5 {
		t.Fatalf("probabilities: %+v", c)
	}
	if c := f.Col("time"); c.String(1) != "2026-03-01T00:00:01Z" {
		t.Fatalf("time %q", c.String(1))
	}
}
