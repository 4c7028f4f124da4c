package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver
)

type sqliteDB struct {
	db *sql.DB
}

const sqliteSchema = `
CREATE TABLE IF NOT EXISTS predictions (
	time       TEXT    NOT NULL,
	deployment TEXT    NOT NULL,
	version    INTEGER NOT NULL,
	request_id TEXT    NOT NULL,
	row        INTEGER NOT NULL,
	inputs     TEXT    NOT NULL,
	outputs    TEXT    NOT NULL,
	latency_ms REAL    NOT NULL
);
CREATE INDEX IF NOT EXISTS predictions_deployment_time ON predictions (deployment, time);
CREATE TABLE IF NOT EXISTS prediction_drops (
	time       TEXT    NOT NULL,
	deployment TEXT    NOT NULL,
	rows       INTEGER NOT NULL
);`

func openSQLite(ctx context.Context, path string) (*sqliteDB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	// WAL lets readers (ferry log export, monitors) run while the server
	// writes; _txlock=immediate makes every write transaction BEGIN IMMEDIATE,
	// so two writers wait on busy_timeout instead of failing mid-transaction.
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(4)
	if _, err := db.ExecContext(ctx, sqliteSchema); err != nil {
		db.Close()
		return nil, err
	}
	return &sqliteDB{db: db}, nil
}

// rowsPerInsert bounds one multi-row INSERT (8 parameters a row).
const rowsPerInsert = 250

func (s *sqliteDB) write(ctx context.Context, rows []Prediction, drops []Drop) (err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	var full *sql.Stmt
	args := make([]any, 0, 8*rowsPerInsert)
	for start := 0; start < len(rows); start += rowsPerInsert {
		chunk := rows[start:min(start+rowsPerInsert, len(rows))]
		args = args[:0]
		for i := range chunk {
			p := &chunk[i]
			args = append(args, formatTime(p.Time), p.Deployment, p.Version, p.RequestID, p.Row, string(p.Inputs), string(p.Outputs), p.LatencyMs)
		}
		if len(chunk) == rowsPerInsert {
			if full == nil {
				if full, err = tx.PrepareContext(ctx, insertSQL(rowsPerInsert)); err != nil {
					return err
				}
				defer full.Close()
			}
			_, err = full.ExecContext(ctx, args...)
		} else {
			_, err = tx.ExecContext(ctx, insertSQL(len(chunk)), args...)
		}
		if err != nil {
			return err
		}
	}
	for _, d := range drops {
		if _, err = tx.ExecContext(ctx, `INSERT INTO prediction_drops (time, deployment, rows) VALUES (?, ?, ?)`, formatTime(d.Time), d.Deployment, d.Rows); err != nil {
			return err
		}
	}
	return tx.Commit()
}

func insertSQL(n int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO predictions (time, deployment, version, request_id, row, inputs, outputs, latency_ms) VALUES ")
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(?,?,?,?,?,?,?,?)")
	}
	return b.String()
}

// where renders f as a WHERE clause with ? placeholders.
func where(f Filter, ph func(i int) string, t func(time.Time) any) (string, []any) {
	var conds []string
	var args []any
	if f.Deployment != "" {
		args = append(args, f.Deployment)
		conds = append(conds, "deployment = "+ph(len(args)))
	}
	if !f.Since.IsZero() {
		args = append(args, t(f.Since))
		conds = append(conds, "time >= "+ph(len(args)))
	}
	if !f.Until.IsZero() {
		args = append(args, t(f.Until))
		conds = append(conds, "time < "+ph(len(args)))
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

func sqlitePH(int) string        { return "?" }
func sqliteTime(t time.Time) any { return formatTime(t) }

func (s *sqliteDB) scan(ctx context.Context, f Filter, fn func(*Prediction) error) error {
	w, args := where(f, sqlitePH, sqliteTime)
	q := "SELECT time, deployment, version, request_id, row, inputs, outputs, latency_ms FROM predictions" + w + " ORDER BY time, rowid"
	if f.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", f.Limit)
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	var p Prediction
	var ts, in, out string
	for rows.Next() {
		if err := rows.Scan(&ts, &p.Deployment, &p.Version, &p.RequestID, &p.Row, &in, &out, &p.LatencyMs); err != nil {
			return err
		}
		if p.Time, err = time.Parse(timeLayout, ts); err != nil {
			return fmt.Errorf("row time %q: %w", ts, err)
		}
		p.Inputs, p.Outputs = []byte(in), []byte(out)
		if err := fn(&p); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (s *sqliteDB) count(ctx context.Context, f Filter) (int64, error) {
	w, args := where(f, sqlitePH, sqliteTime)
	var n int64
	err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM predictions"+w, args...).Scan(&n)
	return n, err
}

func (s *sqliteDB) dropped(ctx context.Context, f Filter) (int64, error) {
	w, args := where(f, sqlitePH, sqliteTime)
	var n int64
	err := s.db.QueryRowContext(ctx, "SELECT coalesce(sum(rows), 0) FROM prediction_drops"+w, args...).Scan(&n)
	return n, err
}

func (s *sqliteDB) close() error { return s.db.Close() }
