#!/usr/bin/env bash
# Peak RSS for 10,000 against 10,000,000 trivial items streamed from stdin (lines), unordered
# and with --keep-order, and read from a file with --input, with and without the progress bar
# (which counts the file's lines). Target: the large run <= 1.5x the small one, and below 50 MB.
#
#   bench/flat_memory.sh [SMALL] [LARGE]      (default 10000 10000000)
cd "$(dirname "$0")/.."
REPS=${REPS:-1}
source bench/common.sh
need_release
small=${1:-10000}
large=${2:-10000000}
load
header
for mode in "" "--keep-order"; do
    for n in "$small" "$large"; do
        measure "stdin $n items ${mode:-unordered}" "$n" \
            "seq 0 $((n - 1)) | $bin run -j2 $mode -e 'item.len() * 2 + 1' > /dev/null"
    done
done
seq 0 $((small - 1)) > "$scratch/small.txt"
seq 0 $((large - 1)) > "$scratch/large.txt"
for bar in --no-progress --progress; do
    for size in small large; do
        n=$small
        [ "$size" = large ] && n=$large
        measure "--input FILE $n items $bar" "$n" \
            "$bin run -j2 $bar -e 'item' --input $scratch/$size.txt > /dev/null"
    done
done
