package store

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"time"
)

// Prediction is one logged row: one row of one request's batch.
type Prediction struct {
	Time       time.Time
	Deployment string
	Version    int
	RequestID  string
	// Row is the row's index within its request's batch.
	Row int
	// Inputs and Outputs are JSON objects keyed by tensor name, holding the
	// row's value (or array of values) of each tensor.
	Inputs    json.RawMessage
	Outputs   json.RawMessage
	LatencyMs float64
}

// Drop records rows of a deployment that were not logged.
type Drop struct {
	Time       time.Time
	Deployment string
	Rows       int64
}

// Filter selects rows of the log. Zero fields select everything.
type Filter struct {
	Deployment string
	// Since and Until bound Time: Since ≤ Time < Until.
	Since, Until time.Time
	// Limit caps the rows returned; 0 means no limit.
	Limit int
}

// backend is one kind of database.
type backend interface {
	write(ctx context.Context, rows []Prediction, drops []Drop) error
	scan(ctx context.Context, f Filter, fn func(*Prediction) error) error
	dropped(ctx context.Context, f Filter) (int64, error)
	count(ctx context.Context, f Filter) (int64, error)
	close() error
}

// DB is an open prediction log.
type DB struct {
	url string
	b   backend
}

// Open opens (creating if needed) the prediction log at url: sqlite://PATH, with
// a relative PATH resolved against root, or postgres://... (postgresql://).
func Open(ctx context.Context, url, root string) (*DB, error) {
	var (
		b   backend
		err error
	)
	switch {
	case strings.HasPrefix(url, "sqlite://"):
		path := strings.TrimPrefix(url, "sqlite://")
		if path == "" {
			return nil, fmt.Errorf("open predictions %s: no path", url)
		}
		if !filepath.IsAbs(path) {
			path = filepath.Join(root, path)
		}
		b, err = openSQLite(ctx, path)
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		b, err = openPostgres(ctx, url)
	default:
		return nil, fmt.Errorf("open predictions %s: unsupported URL (want sqlite://PATH or postgres://...)", url)
	}
	if err != nil {
		return nil, fmt.Errorf("open predictions %s: %w", redact(url), err)
	}
	return &DB{url: url, b: b}, nil
}

// redact hides a password in a database URL.
func redact(url string) string {
	at := strings.LastIndex(url, "@")
	scheme := strings.Index(url, "://")
	if at < 0 || scheme < 0 {
		return url
	}
	userinfo := url[scheme+3 : at]
	if i := strings.Index(userinfo, ":"); i >= 0 {
		return url[:scheme+3] + userinfo[:i] + ":***" + url[at:]
	}
	return url
}

// Write stores rows and drop counts in one transaction.
func (db *DB) Write(ctx context.Context, rows []Prediction, drops []Drop) error {
	if len(rows) == 0 && len(drops) == 0 {
		return nil
	}
	return db.b.write(ctx, rows, drops)
}

// Scan calls fn for each row that f selects, oldest first. The Prediction is
// reused between calls.
func (db *DB) Scan(ctx context.Context, f Filter, fn func(*Prediction) error) error {
	return db.b.scan(ctx, f, fn)
}

// Count returns how many rows f selects (ignoring Limit).
func (db *DB) Count(ctx context.Context, f Filter) (int64, error) { return db.b.count(ctx, f) }

// Dropped returns how many rows f's deployment and time range lost.
func (db *DB) Dropped(ctx context.Context, f Filter) (int64, error) { return db.b.dropped(ctx, f) }

// Close closes the database.
func (db *DB) Close() error { return db.b.close() }

// timeLayout is fixed-width so that SQLite's text order is time order.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }
