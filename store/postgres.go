package store

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// postgresDB holds one connection: the log has one writer (the Writer's
// goroutine), and reads are rare, so a pool would only add a dependency.
type postgresDB struct {
	mu   sync.Mutex
	conn *pgx.Conn
}

const postgresSchema = `
CREATE TABLE IF NOT EXISTS predictions (
	time       timestamptz      NOT NULL,
	deployment text             NOT NULL,
	version    integer          NOT NULL,
	request_id text             NOT NULL,
	row        integer          NOT NULL,
	inputs     jsonb            NOT NULL,
	outputs    jsonb            NOT NULL,
	latency_ms double precision NOT NULL
);
CREATE INDEX IF NOT EXISTS predictions_deployment_time ON predictions (deployment, time);
CREATE TABLE IF NOT EXISTS prediction_drops (
	time       timestamptz NOT NULL,
	deployment text        NOT NULL,
	rows       bigint      NOT NULL
);`

func openPostgres(ctx context.Context, url string) (*postgresDB, error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return nil, err
	}
	if _, err := conn.Exec(ctx, postgresSchema); err != nil {
		conn.Close(ctx)
		return nil, err
	}
	return &postgresDB{conn: conn}, nil
}

var predictionColumns = []string{"time", "deployment", "version", "request_id", "row", "inputs", "outputs", "latency_ms"}

func (p *postgresDB) write(ctx context.Context, rows []Prediction, drops []Drop) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	tx, err := p.conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if len(rows) > 0 {
		src := pgx.CopyFromSlice(len(rows), func(i int) ([]any, error) {
			r := &rows[i]
			return []any{r.Time.UTC(), r.Deployment, int32(r.Version), r.RequestID, int32(r.Row), []byte(r.Inputs), []byte(r.Outputs), r.LatencyMs}, nil
		})
		n, err := tx.CopyFrom(ctx, pgx.Identifier{"predictions"}, predictionColumns, src)
		if err != nil {
			return fmt.Errorf("copy predictions: %w", err)
		}
		if n != int64(len(rows)) {
			return fmt.Errorf("copy predictions: wrote %d of %d rows", n, len(rows))
		}
	}
	for _, d := range drops {
		if _, err := tx.Exec(ctx, `INSERT INTO prediction_drops (time, deployment, rows) VALUES ($1, $2, $3)`, d.Time.UTC(), d.Deployment, d.Rows); err != nil {
			return err
		}
	}
	return tx.Commit(ctx)
}

func pgPH(i int) string      { return fmt.Sprintf("$%d", i) }
func pgTime(t time.Time) any { return t.UTC() }

func (p *postgresDB) scan(ctx context.Context, f Filter, fn func(*Prediction) error) error {
	w, args := where(f, pgPH, pgTime)
	q := "SELECT time, deployment, version, request_id, row, inputs::text, outputs::text, latency_ms FROM predictions" + w + " ORDER BY time"
	if f.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", f.Limit)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	rows, err := p.conn.Query(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	var pr Prediction
	var version, row int32
	var in, out string
	for rows.Next() {
		if err := rows.Scan(&pr.Time, &pr.Deployment, &version, &pr.RequestID, &row, &in, &out, &pr.LatencyMs); err != nil {
			return err
		}
		pr.Version, pr.Row = int(version), int(row)
		pr.Inputs, pr.Outputs = []byte(in), []byte(out)
		if err := fn(&pr); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (p *postgresDB) count(ctx context.Context, f Filter) (int64, error) {
	w, args := where(f, pgPH, pgTime)
	var n int64
	p.mu.Lock()
	defer p.mu.Unlock()
	err := p.conn.QueryRow(ctx, "SELECT count(*) FROM predictions"+w, args...).Scan(&n)
	return n, err
}

func (p *postgresDB) dropped(ctx context.Context, f Filter) (int64, error) {
	w, args := where(f, pgPH, pgTime)
	var n int64
	p.mu.Lock()
	defer p.mu.Unlock()
	err := p.conn.QueryRow(ctx, "SELECT coalesce(sum(rows), 0)::bigint FROM prediction_drops"+w, args...).Scan(&n)
	return n, err
}

func (p *postgresDB) close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.conn.Close(context.Background())
}
