#!/usr/bin/env bash
# The page benchmark at several scales: for each N, builds (once) a scale data
# set of N responses with `cxloop demo --scale N --load-only` in
# $CXLOOP_BENCH_DIR/scale-N, serves it, waits until the background work is
# done (the comment sweeper and segment upkeep: the server's CPU falls idle),
# then times every staff page and API read with bench/pages.py.
#
#   bench/scale.sh 10000 100000 1000000        # SQLite
#   CXLOOP_BENCH_PG=postgres://postgres@127.0.0.1:5432 bench/scale.sh 1000000
#
# Results go to $CXLOOP_BENCH_DIR/pages-<backend>-N.json and the terminal.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${CXLOOP_BENCH_DIR:-/tmp/cxloop-bench}"
port="${CXLOOP_BENCH_PORT:-18080}"
runs="${CXLOOP_BENCH_RUNS:-7}"
mkdir -p "$dir"
cargo build --release -q -p cxloop
bin=./target/release/cxloop
for n in "$@"; do
  if [ -n "${CXLOOP_BENCH_PG:-}" ]; then
    backend=postgres
    db="cxloop_bench_$n"
    url="${CXLOOP_BENCH_PG%/}/$db"
    if ! psql "${CXLOOP_BENCH_PG%/}/postgres" -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
      psql "${CXLOOP_BENCH_PG%/}/postgres" -qc "CREATE DATABASE $db"
      /usr/bin/time -f "built in %e s, max RSS %M KB" "$bin" demo --scale "$n" --database-url "$url" --load-only
    fi
    args=(--database-url "$url")
  else
    backend=sqlite
    data="$dir/scale-$n"
    if [ ! -e "$data/cxloop.db" ]; then
      /usr/bin/time -f "built in %e s, max RSS %M KB" "$bin" demo --scale "$n" --data-dir "$data" --load-only
    fi
    args=(--data-dir "$data")
  fi
  token=$("$bin" token create "${args[@]}" --email demo@cxloop.example --name "page benchmark" --scope read 2>/dev/null | tail -n 1)
  "$bin" serve "${args[@]}" --listen "127.0.0.1:$port" >"$dir/serve-$backend-$n.log" 2>&1 &
  pid=$!
  trap 'kill $pid 2>/dev/null || true' EXIT
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.3; done
  # Wait for the background work to finish: five quiet seconds in a row.
  quiet=0
  while [ "$quiet" -lt 5 ]; do
    before=$(awk '{print $14 + $15}' "/proc/$pid/stat")
    sleep 1
    after=$(awk '{print $14 + $15}' "/proc/$pid/stat")
    if [ $((after - before)) -le 2 ]; then quiet=$((quiet + 1)); else quiet=0; fi
  done
  if [ "$backend" = postgres ]; then
    # Fresh planner statistics, as autovacuum would gather them after a bulk
    # load (this machine's PostgreSQL runs with autovacuum off): taken after
    # the background work, so the upkeep tables it filled are counted too.
    psql "$url" -qc ANALYZE
  fi
  echo "== $backend, $n responses"
  CXLOOP_BENCH_TOKEN="$token" python3 bench/pages.py --url "http://127.0.0.1:$port" --runs "$runs" --json "$dir/pages-$backend-$n.json"
  kill "$pid"
  wait "$pid" 2>/dev/null || true
done
