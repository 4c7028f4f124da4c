package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Payload renders one row of a request's inputs and outputs as JSON objects.
// The Writer calls it on its own goroutine, so the request path only queues.
type Payload interface {
	AppendInputs(dst []byte, row int) []byte
	AppendOutputs(dst []byte, row int) []byte
}

// Entry is one answered request to log: Rows rows of Payload.
type Entry struct {
	Time       time.Time
	Deployment string
	Version    int
	RequestID  string
	Latency    time.Duration
	Rows       int
	Payload    Payload
}

// Policy says what Enqueue does when the queue is full.
type Policy int

const (
	// PolicyBlock waits for room (backpressure on the caller).
	PolicyBlock Policy = iota
	// PolicyDrop discards the entry and counts its rows as dropped.
	PolicyDrop
)

func (p Policy) String() string {
	if p == PolicyDrop {
		return "drop"
	}
	return "block"
}

// ParsePolicy reads "block" or "drop".
func ParsePolicy(s string) (Policy, error) {
	switch s {
	case "block":
		return PolicyBlock, nil
	case "drop":
		return PolicyDrop, nil
	}
	return 0, fmt.Errorf("queue policy %q: want block or drop", s)
}

// Sink is where a Writer's batches go; *DB is one.
type Sink interface {
	Write(ctx context.Context, rows []Prediction, drops []Drop) error
}

var _ Sink = (*DB)(nil)

// WriterOptions configure a Writer.
type WriterOptions struct {
	// Queue is how many entries may wait (default 10,000).
	Queue int
	// MaxBatch caps the rows of one database transaction (default 2,000).
	MaxBatch int
	// OnFull is the policy when the queue is full.
	OnFull Policy
	// Linger is how long the writer waits for more entries after the first of
	// a batch (default 5ms): a few milliseconds turn many one-row transactions
	// into one, which is most of the cost of logging under load. Negative: none.
	Linger time.Duration
	// Retries of a failed batch before its rows count as dropped (default 3).
	Retries int
	// OnDrop, if set, is told of every dropped row (for metrics).
	OnDrop func(deployment string, rows int)
	Log    *slog.Logger
}

// Writer queues entries and writes them in batches on one goroutine.
type Writer struct {
	sink Sink
	opts WriterOptions
	ch   chan Entry

	mu     sync.RWMutex // guards closed against sends on a closed ch
	closed bool

	dropMu  sync.Mutex
	pending map[string]int64 // dropped rows not yet written to the log
	wake    chan struct{}

	written atomic.Int64
	dropped atomic.Int64
	done    chan struct{}
}

// NewWriter starts a Writer draining into sink.
func NewWriter(sink Sink, opts WriterOptions) *Writer {
	if opts.Queue <= 0 {
		opts.Queue = 10000
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 2000
	}
	if opts.Linger == 0 {
		opts.Linger = 5 * time.Millisecond
	}
	if opts.Retries <= 0 {
		opts.Retries = 3
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	w := &Writer{
		sink: sink, opts: opts, ch: make(chan Entry, opts.Queue),
		pending: map[string]int64{}, wake: make(chan struct{}, 1), done: make(chan struct{}),
	}
	go w.run()
	return w
}

// Enqueue queues e. Under the Block policy it waits for room until ctx ends;
// an entry that is not queued is counted as dropped, and Enqueue returns false.
func (w *Writer) Enqueue(ctx context.Context, e Entry) bool {
	w.mu.RLock()
	defer w.mu.RUnlock()
	if w.closed {
		w.drop(e.Deployment, e.Rows)
		return false
	}
	select {
	case w.ch <- e:
		return true
	default:
	}
	if w.opts.OnFull == PolicyBlock {
		select {
		case w.ch <- e:
			return true
		case <-ctx.Done():
		}
	}
	w.drop(e.Deployment, e.Rows)
	return false
}

func (w *Writer) drop(deployment string, rows int) {
	if rows <= 0 {
		return
	}
	w.dropped.Add(int64(rows))
	w.dropMu.Lock()
	w.pending[deployment] += int64(rows)
	w.dropMu.Unlock()
	if w.opts.OnDrop != nil {
		w.opts.OnDrop(deployment, rows)
	}
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Len is the number of entries waiting.
func (w *Writer) Len() int { return len(w.ch) }

// Written and Dropped count rows since the Writer started.
func (w *Writer) Written() int64 { return w.written.Load() }
func (w *Writer) Dropped() int64 { return w.dropped.Load() }

// Close stops accepting entries, writes everything queued and the drop counts,
// and returns once done or when ctx ends.
func (w *Writer) Close(ctx context.Context) error {
	w.mu.Lock()
	if !w.closed {
		w.closed = true
		close(w.ch)
	}
	w.mu.Unlock()
	select {
	case <-w.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("flush prediction log: %w (%d entries still queued)", ctx.Err(), len(w.ch))
	}
}

func (w *Writer) run() {
	defer close(w.done)
	var rows []Prediction
	open := true
	for open {
		select {
		case e, ok := <-w.ch:
			if !ok {
				open = false
				break
			}
			rows = appendEntry(rows[:0], e)
			var linger <-chan time.Time
			var timer *time.Timer
			if w.opts.Linger > 0 {
				timer = time.NewTimer(w.opts.Linger)
				linger = timer.C
			}
		fill:
			for len(rows) < w.opts.MaxBatch {
				select {
				case e, ok := <-w.ch:
					if !ok {
						open = false
						break fill
					}
					rows = appendEntry(rows, e)
				default:
					if linger == nil {
						break fill
					}
					select {
					case e, ok := <-w.ch:
						if !ok {
							open = false
							break fill
						}
						rows = appendEntry(rows, e)
					case <-linger:
						break fill
					}
				}
			}
			if timer != nil {
				timer.Stop()
			}
		case <-w.wake:
			rows = rows[:0]
		}
		w.flush(rows)
		rows = rows[:0]
	}
	w.flush(nil) // drops counted while closing
}

// appendEntry expands an entry into its rows.
func appendEntry(rows []Prediction, e Entry) []Prediction {
	ms := float64(e.Latency.Microseconds()) / 1000
	for r := range e.Rows {
		rows = append(rows, Prediction{
			Time: e.Time, Deployment: e.Deployment, Version: e.Version, RequestID: e.RequestID, Row: r,
			Inputs: e.Payload.AppendInputs(nil, r), Outputs: e.Payload.AppendOutputs(nil, r), LatencyMs: ms,
		})
	}
	return rows
}

// flush writes rows with the pending drop counts, retrying; rows it cannot write
// become drops themselves, so the count stays whole.
func (w *Writer) flush(rows []Prediction) {
	w.dropMu.Lock()
	var drops []Drop
	now := time.Now()
	for d, n := range w.pending {
		drops = append(drops, Drop{Time: now, Deployment: d, Rows: n})
	}
	clear(w.pending)
	w.dropMu.Unlock()
	if len(rows) == 0 && len(drops) == 0 {
		return
	}
	var err error
	for attempt := range w.opts.Retries {
		if attempt > 0 {
			time.Sleep(time.Duration(50<<attempt) * time.Millisecond)
		}
		if err = w.sink.Write(context.Background(), rows, drops); err == nil {
			w.written.Add(int64(len(rows)))
			return
		}
		w.opts.Log.Warn("write prediction log", "rows", len(rows), "attempt", attempt+1, "err", err)
	}
	w.opts.Log.Error("prediction log rows lost", "rows", len(rows), "err", errors.Unwrap(err))
	w.dropMu.Lock()
	for _, d := range drops {
		w.pending[d.Deployment] += d.Rows // try the counts again with the next batch
	}
	w.dropMu.Unlock()
	for _, r := range rows {
		w.drop(r.Deployment, 1)
	}
}
