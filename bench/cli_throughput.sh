#!/usr/bin/env bash
# CLI throughput, trivial script, 2 threads: --range in, text or JSON Lines out to a file; the
# same with a 10 s timeout set (never reached), and without the default 1 GiB memory cap.
# Targets: text >= 2,000,000 items/s, jsonl >= 1,000,000 items/s, timeout >= 97% of none.
#
#   bench/cli_throughput.sh [ITEMS]      (default 1000000; REPS=5 for 5 runs each)
cd "$(dirname "$0")/.."
source bench/common.sh
need_release
n=${1:-1000000}
run="$bin run -j2 --range 0..$n -e 'item * 2 + 1'"
load
header
measure "text" "$n" "$run"
measure "text --timeout 10s" "$n" "$run --timeout 10s"
measure "text --max-memory none" "$n" "$run --max-memory none"
measure "jsonl" "$n" "$run --output jsonl"
measure "jsonl --timeout 10s" "$n" "$run --output jsonl --timeout 10s"
measure "cpu-bound -j1 (10,000 items)" 10000 "$bin run -j1 --range 0..10000 -e 'let s = 0; for i in 0..5000 { s += i; } s'"
measure "cpu-bound -j2 (10,000 items)" 10000 "$bin run -j2 --range 0..10000 -e 'let s = 0; for i in 0..5000 { s += i; } s'"
measure "cpu-bound -j2 --timeout 10s" 10000 "$bin run -j2 --timeout 10s --range 0..10000 -e 'let s = 0; for i in 0..5000 { s += i; } s'"
load
