#!/usr/bin/env bash
# rsparallel against the tools people use instead, on two workloads, 2 workers each:
#
#   trivial    x * 2 + 1 for each item
#   cpu-bound  a loop of 5,000 additions (~20,000 Rhai operations) for each item
#
# through rsparallel (--range in, text out to a file), GNU parallel -j2 and xargs -P2 (one
# process per item: `sh -c` for trivial, `awk` for the loop), and Python's
# multiprocessing.Pool(2) with a tuned chunksize. The process-per-item tools run fewer items
# (they would take hours on a million); their items/s extrapolates from those. Prints a table
# of median wall time over $REPS runs (default 3), items/s and peak RSS (/usr/bin/time %M).
#
#   bench/compare.sh [TRIVIAL_ITEMS] [CPU_ITEMS]      (default 1000000 10000)
cd "$(dirname "$0")/.."
source bench/common.sh

if ! command -v parallel > /dev/null || ! command -v hyperfine > /dev/null; then
    apt-get install -y parallel hyperfine > /dev/null 2>&1 || echo "(could not install parallel/hyperfine)" >&2
fi
need_release

trivial=${1:-1000000}
cpu=${2:-10000}
per_process_trivial=$((trivial / 500 > 5000 ? 5000 : trivial / 500))
per_process_cpu=$((cpu / 10 > 1000 ? 1000 : cpu / 10))

cat > "$scratch/mp.py" << 'PY'
import sys
from multiprocessing import Pool

def trivial(x):
    return x * 2 + 1

def loop(x):
    s = 0
    for i in range(5000):
        s += i
    return s

if __name__ == "__main__":
    work, n, chunk = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    f = trivial if work == "trivial" else loop
    out = sys.stdout
    with Pool(2) as pool:
        if len(sys.argv) > 4:
            # Results collected in a list, nothing written: Python's best case.
            out.write(f"{len(pool.map(f, range(n), chunksize=chunk))}\n")
        else:
            for r in pool.imap_unordered(f, range(n), chunksize=chunk):
                out.write(f"{r}\n")
PY
seq 0 $((per_process_trivial - 1)) > "$scratch/trivial.txt"
seq 0 $((per_process_cpu - 1)) > "$scratch/cpu.txt"
loop_awk='BEGIN { s = 0; for (i = 0; i < 5000; i++) s += i; print s }'

load
echo
echo "trivial workload"
header
measure "rsparallel -j2 (--range, text to a file)" "$trivial" \
    "$bin run -j2 --range 0..$trivial -e 'item * 2 + 1'"
measure "rsparallel -j2 --max-memory none" "$trivial" \
    "$bin run -j2 --max-memory none --range 0..$trivial -e 'item * 2 + 1'"
for chunk in 1000 10000 100000; do
    measure "python multiprocessing.Pool(2), chunksize $chunk" "$trivial" \
        "python3 $scratch/mp.py trivial $trivial $chunk"
done
measure "python Pool(2).map to a list, chunksize 10000, no output" "$trivial" \
    "python3 $scratch/mp.py trivial $trivial 10000 list"
measure "GNU parallel -j2 (sh per item)" "$per_process_trivial" \
    "parallel -j2 'echo \$(({} * 2 + 1))' < $scratch/trivial.txt"
measure "xargs -P2 -n1 (sh per item)" "$per_process_trivial" \
    "xargs -P2 -n1 sh -c 'echo \$((\$1 * 2 + 1))' _ < $scratch/trivial.txt"

echo
echo "cpu-bound workload (a loop of 5,000 additions per item)"
header
measure "rsparallel -j2" "$cpu" \
    "$bin run -j2 --range 0..$cpu -e 'let s = 0; for i in 0..5000 { s += i; } s'"
measure "rsparallel -j1" "$cpu" \
    "$bin run -j1 --range 0..$cpu -e 'let s = 0; for i in 0..5000 { s += i; } s'"
for chunk in 10 100; do
    measure "python multiprocessing.Pool(2), chunksize $chunk" "$cpu" \
        "python3 $scratch/mp.py loop $cpu $chunk"
done
measure "GNU parallel -j2 (awk per item)" "$per_process_cpu" \
    "parallel -j2 awk \"'$loop_awk'\" < $scratch/cpu.txt"
measure "xargs -P2 -n1 (awk per item)" "$per_process_cpu" \
    "xargs -P2 -n1 awk '$loop_awk' < $scratch/cpu.txt"
echo
load
