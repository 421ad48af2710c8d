#!/usr/bin/env bash
# Mixed sizes: 10,000 items, every 100th item 100x longer than the rest, 2 threads. Compares
# wall time with the total work (sum of job durations from the JSON Lines records) / threads.
# Target: within 10%.
#
#   bench/mixed_sizes.sh [ITEMS]      (default 10000)
cd "$(dirname "$0")/.."
source bench/common.sh
need_release
n=${1:-10000}
script='let n = if item % 100 == 0 { 20000 } else { 200 }; let s = 0; for i in 0..n { s += i; } s'
load
for _ in $(seq "$REPS"); do
    start=$(date +%s.%N)
    "$bin" run -j2 --output jsonl --range 0..$n -e "$script" > "$scratch/records.jsonl"
    end=$(date +%s.%N)
    python3 - "$scratch/records.jsonl" "$start" "$end" << 'PY'
import json, sys
work = sum(json.loads(l)["duration_ms"] for l in open(sys.argv[1])) / 1000.0
wall = float(sys.argv[3]) - float(sys.argv[2])
print(f"wall {wall:.3f} s, total work / 2 threads {work / 2:.3f} s, over by {100 * (wall / (work / 2) - 1):.1f}%")
PY
done
