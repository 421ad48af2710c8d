#!/usr/bin/env bash
# How soon after its deadline a runaway job ends: 100 jobs of `loop {}` with a 100 ms timeout,
# 2 threads, lateness = duration_ms - 100 from the JSON Lines records. Target: median <= 5 ms.
#
#   bench/timeout_promptness.sh [JOBS]      (default 100)
cd "$(dirname "$0")/.."
source bench/common.sh
need_release
jobs=${1:-100}
load
"$bin" run -j2 --timeout 100ms --output jsonl --range 0..$jobs -e 'loop {}' > "$scratch/records.jsonl" || true
python3 - "$scratch/records.jsonl" << 'PY'
import json, statistics, sys
late = [json.loads(l)["duration_ms"] - 100.0 for l in open(sys.argv[1])]
st = [json.loads(l)["status"] for l in open(sys.argv[1])]
print(f"jobs {len(late)}, all timed_out: {all(s == 'timed_out' for s in st)}")
print(f"lateness ms: median {statistics.median(late):.3f}, max {max(late):.3f}, min {min(late):.3f}")
PY
