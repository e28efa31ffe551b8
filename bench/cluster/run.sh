#!/usr/bin/env bash
# Two omegachatd nodes on one PostgreSQL and one private Redis, measured with omegachat-load:
# the latency scenario on one node and across two nodes at the same rate, ROUNDS times each,
# interleaved (one node, then two) so load from elsewhere on the box hits both alike.
# Results are in BENCHMARKS.md, "Several nodes (issue 11)". Usage, from the repository root:
#   cargo build --release -p omegachatd -p omegachat-load
#   bench/cluster/run.sh            # ROUNDS=3 RATE=1000 PAIRS=100 SECS=20 by default
set -euo pipefail
cd "$(dirname "$0")/../.."
T=${CARGO_TARGET_DIR:-target}/release
ROUNDS=${ROUNDS:-3} RATE=${RATE:-1000} PAIRS=${PAIRS:-100} SECS=${SECS:-20}
PG=${PG:-postgres://omegachat@127.0.0.1:55432}
REDIS_PORT=56390                       # the port in bench/cluster/node*.toml
OUT=${OUT:-/tmp/omegachat-bench/results}
mkdir -p /tmp/omegachat-bench/node1 /tmp/omegachat-bench/node2 "$OUT"

pids=()
cleanup() { for p in "${pids[@]}" ${N2:-}; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

# A Redis only these nodes use: its INFO counters (bytes, publishes, CPU) are then theirs.
redis-server --port $REDIS_PORT --bind 127.0.0.1 --save '' --appendonly no \
  --daemonize no --logfile /tmp/omegachat-bench/redis.log &
pids+=($!)
REDIS_PID=$!
until redis-cli -p $REDIS_PORT ping >/dev/null 2>&1; do sleep 0.1; done
psql -q "$PG/postgres" -c 'drop database if exists bench_issue11' -c 'create database bench_issue11'

start_node() { # $1: node number; prints the pid
  OMEGACHAT_CONFIG= "$T/omegachatd" --config "bench/cluster/node$1.toml" \
    >"/tmp/omegachat-bench/node$1.log" 2>&1 &
  local pid=$!
  until curl -sf "http://127.0.0.1:1819$1/readyz" >/dev/null; do
    kill -0 $pid || { cat "/tmp/omegachat-bench/node$1.log"; exit 1; }
    sleep 0.2
  done
  echo $pid
}

# The box is shared (another engineer may be compiling): before each run, wait up to QUIET_WAIT
# seconds for a 3-second window in which at most QUIET_BUSY % of the CPU is busy, and print
# what it was, so a noisy run is visible as such.
QUIET_BUSY=${QUIET_BUSY:-25} QUIET_WAIT=${QUIET_WAIT:-300}
busy_pct() {
  local a b
  a=($(head -1 /proc/stat)); sleep 3; b=($(head -1 /proc/stat))
  local total=0 i
  for i in 1 2 3 4 5 6 7 8; do total=$((total + b[i] - a[i])); done
  echo $((100 - 100 * (b[4] - a[4] + b[5] - a[5]) / total))
}
wait_quiet() {
  local waited=0 busy
  while busy=$(busy_pct); [ "$busy" -gt "$QUIET_BUSY" ] && [ $waited -lt "$QUIET_WAIT" ]; do
    waited=$((waited + 3))
  done
  echo "== before the run: CPU ${busy}% busy over 3 s (waited ${waited}s); $(uptime)"
}

N1=$(start_node 1); pids+=("$N1")
L="$T/omegachat-load --redis-url redis://127.0.0.1:$REDIS_PORT/ --redis-pid $REDIS_PID"
SCENARIO="latency --rate $RATE --pairs $PAIRS --duration-secs $SECS"
for r in $(seq "$ROUNDS"); do
  echo "== round $r"
  wait_quiet
  $L --url http://127.0.0.1:18191 --pid "$N1" --prefix "one$r-$$" $SCENARIO \
    | tee "$OUT/one-node-$r.txt"
  N2=$(start_node 2)
  wait_quiet
  $L --url http://127.0.0.1:18191,http://127.0.0.1:18192 --pid "$N1,$N2" --prefix "cross$r-$$" \
    $SCENARIO --cross-node | tee "$OUT/cross-node-$r.txt"
  kill "$N2"; while kill -0 "$N2" 2>/dev/null; do sleep 0.2; done  # not our child: poll
done

# PERF_OUT=FILE: one more cross-node run with both daemons sampled by perf (DWARF call graphs,
# for bench/cluster/perf_share.py), 10 s from the middle of the measurement.
if [ -n "${PERF_OUT:-}" ]; then
  N2=$(start_node 2)
  wait_quiet
  $L --url http://127.0.0.1:18191,http://127.0.0.1:18192 --pid "$N1,$N2" --prefix "perf-$$" \
    $SCENARIO --cross-node 2>&1 | tee "$OUT/cross-node-perf.txt" &
  LOAD=$!
  # Set-up (registering 2 × PAIRS accounts) comes first: start sampling once sends flow.
  until grep -q 'set-up:' "$OUT/cross-node-perf.txt" 2>/dev/null; do sleep 0.5; done
  sleep 4
  perf record -F 999 --call-graph dwarf,16384 -p "$N1,$N2" -o "$PERF_OUT" -- sleep 10
  wait $LOAD
fi
