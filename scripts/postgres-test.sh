#!/usr/bin/env bash
# Runs the prediction-log tests against a throwaway PostgreSQL server (Debian's
# postgresql package: apt-get install postgresql). The server runs as the
# postgres user in a temporary folder on port 55432 and is removed afterwards.
# Without FERRY_TEST_POSTGRES_URL those tests cover SQLite only.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | tail -1)
[ -n "$bin" ] || { echo "postgres-test: install postgresql (apt-get install postgresql)" >&2; exit 1; }
data=$(mktemp -d)
chown postgres "$data"
run() { if [ "$(id -u)" = 0 ]; then su postgres -c "$*"; else "$@"; fi; }
run "$bin/initdb -D $data -A trust -U postgres" >/dev/null
run "$bin/pg_ctl -D $data -o '-p 55432 -k /tmp -c listen_addresses=127.0.0.1' -l $data/log -w start" >/dev/null
trap 'run "$bin/pg_ctl -D $data -m fast stop" >/dev/null; rm -rf "$data"' EXIT
psql -h 127.0.0.1 -p 55432 -U postgres -qc "create database ferrytest"
export FERRY_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:55432/ferrytest?sslmode=disable"
export ONNXRUNTIME_SHARED_LIBRARY_PATH=${ONNXRUNTIME_SHARED_LIBRARY_PATH:-$(scripts/onnxruntime.sh)}
go test -count=1 -run 'TestWriteScanFilter|TestShutdownLosesNoPrediction' -v ./store ./runners/serve | grep -E '^(---|    ---|ok|FAIL|PASS)'
