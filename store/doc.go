// Package store is ferry's prediction log: every answered prediction (time,
// deployment, version, request id, inputs, outputs, latency) in a database, and
// a count of the rows that were not logged.
//
// [Open] takes the project's predictions URL: sqlite://PATH (the default, a
// file in WAL mode written with BEGIN IMMEDIATE and batched multi-row inserts)
// or postgres://... (written with COPY through pgx). A [Writer] sits between
// the serving runtime and the database: a bounded queue that a single goroutine
// drains in batches, so the request path never waits on disk. When the queue is
// full the policy is explicit (block or drop); dropped rows are counted in the
// log's prediction_drops table, never lost silently. [DB.Scan] reads the log
// back, and [DB.Frame] turns it into a dataset.Frame (one column per model
// input and output) for export and drift monitoring.
package store
