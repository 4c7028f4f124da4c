#!/usr/bin/env bash
# The main job end to end, on embedded defaults (local artifact folder, SQLite
# prediction log, the local serving runtime), in a scratch git repository with a
# bare origin:
#
#   1. copy examples/flights into a scratch repository and push it to its origin
#   2. ferry validate, ferry plan, ferry apply: train both experiments, evaluate,
#      gate, register, roll out to the local runtime this script starts
#   3. ferry replay real April traffic through the server (its true labels
#      "arrive later" as the delayed labels file)
#   4. ferry monitor: a drift report with plots (April looks like the training
#      data: no drift, and the model is as good on it)
#   5. a shift: the deployment now also serves April's evening departures alone;
#      ferry monitor finds the drift and keeps the window's labelled rows, and
#      ferry plan/apply retrain on January plus those rows, gated against
#      production scored on the same rows, into a canary
#   6. change a spec, ferry plan shows the candidate against production with the
#      gate verdict, ferry apply registers it and starts the canary
#   7. where everything was written, and ferry registry history
#
# Usage: scripts/demo.sh [FERRY_BINARY]. FERRY_DEMO_SHORT=1 replays less traffic
# (the shortened run make test uses). FERRY_DEMO_DIR keeps the scratch folder there.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
ferry=$(realpath "${1:-$here/bin/ferry}")
replay_rows=5000
[ -n "${FERRY_DEMO_SHORT:-}" ] && replay_rows=1000

work=${FERRY_DEMO_DIR:-$(mktemp -d -t ferry-demo.XXXXXX)}
mkdir -p "$work"
server_pid=
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  # The shortened run (make test) leaves nothing behind; the full demo keeps its
  # scratch repository to look at.
  if [ -n "${FERRY_DEMO_SHORT:-}" ] && [ -z "${FERRY_DEMO_DIR:-}" ]; then rm -rf "$work"; fi
}
trap cleanup EXIT

if [ -t 2 ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold= plain=; fi
step() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain" >&2; }
# run prints a command, runs it, and accepts exit 2 ("something to act on").
run() {
  printf '$ %s\n' "$*" >&2
  local rc=0
  "$@" || rc=$?
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 2 ]; then
    echo "demo: '$*' failed with exit $rc" >&2
    exit "$rc"
  fi
  return 0
}

step "1. a scratch git repository with a bare origin: $work"
git init -q --bare "$work/origin.git"
mkdir -p "$work/repo"
cp -R "$here/examples/flights/." "$work/repo/"
rm -rf "$work/repo/prepare"
cd "$work/repo"
git init -q -b main
git config user.name "ferry demo"
git config user.email "demo@ferry.invalid"
git remote add origin "$work/origin.git"

# The local serving runtime, on a free port; ferry.yaml is pointed at it before the
# first commit.
"$ferry" serve --addr 127.0.0.1:0 >"$work/serve.log" 2>&1 &
server_pid=$!
url=
for _ in $(seq 1 100); do
  url=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$work/serve.log" | head -n 1 || true)
  [ -n "$url" ] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/serve.log" >&2; exit 1; }
  sleep 0.1
done
[ -n "$url" ] || { echo "demo: ferry serve did not start" >&2; cat "$work/serve.log" >&2; exit 1; }
sed -i.bak "s#url: \"http://127.0.0.1:8080\"#url: \"$url\"#" ferry.yaml && rm -f ferry.yaml.bak
echo "ferry serve is listening on $url (log: $work/serve.log)" >&2
git add -A
git commit -q -m "flights: datasets, model, experiments, deployment, monitor"
git push -q origin main

step "2. validate, plan, apply"
run "$ferry" validate
# --evaluate trains and evaluates the candidates and runs the gate, so the plan
# shows every check with its verdict; apply reuses that work.
run "$ferry" plan --evaluate
run "$ferry" apply --auto-approve
git pull -q --ff-only origin main

step "3. replay real April traffic through the server"
# --labels-out writes the true labels of the rows sent, keyed by request id and
# row: the delayed labels the monitor's performance test joins.
run "$ferry" replay --data data/traffic-april.parquet --url "$url" --deployment delay-prod --limit "$replay_rows" --concurrency 4 \
  --id-prefix april --labels-out data/delayed-labels.csv --label delayed

step "4. monitor: drift of April traffic against the training data"
run "$ferry" monitor delay-drift
git pull -q --ff-only origin main || true

step "5. a shift: evening departures only, then retraining on them"
# Real April flights again, but only those leaving at 18:00 or later: hour (and
# with it the delay rate) moves away from the training data. Their labels
# arrive as before.
run "$ferry" replay --data data/traffic-april-evening.parquet --url "$url" --deployment delay-prod --limit "$replay_rows" --concurrency 4 \
  --id-prefix evening --labels-out data/delayed-labels.csv --label delayed
sleep 1 # a new window end: reports are named by the second their window ends
run "$ferry" monitor delay-drift
git pull -q --ff-only origin main || true
# The report kept the window's labelled rows; delay-gbt lists the monitor in
# triggers.onDrift, so the plan trains it on January plus those rows and gates
# it against production scored on the same rows.
run "$ferry" plan
run "$ferry" apply --auto-approve
git pull -q --ff-only origin main
"$ferry" runs list delay-gbt | grep -q 'drift: monitor delay-drift drifted' \
  || { echo "demo: the drifted window did not retrain delay-gbt" >&2; exit 1; }

step "6. a spec change: more, smaller boosting steps"
sed -i.bak 's/params: {trees: 100, depth: 6, learningRate: 0.1}/params: {trees: 150, depth: 6, learningRate: 0.08}/' experiments/delay-gbt.yaml && rm -f experiments/delay-gbt.yaml.bak
git diff --stat >&2
git commit -q -am "delay-gbt: more, smaller boosting steps"
git push -q origin main
# --evaluate trains the candidate, evaluates it and runs the gate against the
# version serving production; apply then reuses that work.
run "$ferry" plan --evaluate
run "$ferry" apply --auto-approve
git pull -q --ff-only origin main

step "7. where everything is"
echo "repository:        $work/repo (origin: $work/origin.git)" >&2
echo "records:           $work/repo/records" >&2
find records -type f | sort | sed 's/^/  /' >&2
echo "artifacts:         $work/repo/.ferry/artifacts" >&2
echo "prediction log:    $work/repo/.ferry/predictions.db" >&2
drift=$(find records/drift -name '*.svg' 2>/dev/null | head -n 3 || true)
[ -n "$drift" ] && echo "drift plots:" >&2 && echo "$drift" | sed 's/^/  /' >&2
run "$ferry" registry history delay
run "$ferry" registry list delay
echo >&2
echo "demo: done in $SECONDS s" >&2
