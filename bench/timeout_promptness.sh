#!/usr/bin/env bash
# How soon after its deadline a runaway job ends: 100 jobs of `loop {}` with a 100 ms timeout,
# 2 threads, lateness = duration_ms - 100 from the JSON Lines records; then 10 jobs each of loops
# whose every operation is a heavy native call (splitting 100 KB into characters, hashing
# 20 MB), which once ran seconds past their deadline. Target: median <= 5 ms.
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
for script in \
    'let s = "x"; s.pad(100000, "y"); loop { s.split("").len(); }' \
    'let s = "x"; s.pad(300000, "y"); loop { s.to_chars(); }' \
    'let s = "x"; s.pad(20000000, "y"); loop { sha256(s); }' \
    'let s = "x"; s.pad(20000000, "y"); loop { md5(s); }'; do
    echo "$script"
    "$bin" run -j2 --timeout 100ms --output jsonl --range 0..10 -e "$script" > "$scratch/records.jsonl" || true
    python3 - "$scratch/records.jsonl" << 'PY'
import json, statistics, sys
records = [json.loads(l) for l in open(sys.argv[1])]
late = [r["duration_ms"] - 100.0 for r in records]
print(f"  jobs {len(late)}, all timed_out: {all(r['status'] == 'timed_out' for r in records)}, "
      f"lateness ms: median {statistics.median(late):.3f}, max {max(late):.3f}")
PY
done
