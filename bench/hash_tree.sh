#!/usr/bin/env bash
# Hash every file of a tree: 20,000 files of 4 KiB and 20 of 20 MiB (480 MB, page cache warm
# after the first pass), 2 workers each, side by side:
#
#   rsparallel   find | rsparallel run --allow-read=TREE -e 'sha256_file(item) + "  " + item'
#   xargs        batched (-n 500) and per file (-n 1), -P2 sha256sum
#   GNU parallel batched (-X) and per file, -j2 sha256sum
#
# rsparallel's digests are checked identical to sha256sum's. The per-file runners start a
# process for each file (about 70 s for GNU parallel): they run once, the others $REPS times.
#
#   bench/hash_tree.sh [TREE]      (default /tmp/rsparallel-hash-tree; REPS=3)
cd "$(dirname "$0")/.."
source bench/common.sh
need_release
command -v parallel > /dev/null || apt-get install -y parallel > /dev/null 2>&1 || true

tree=${1:-/tmp/rsparallel-hash-tree}
if [[ ! -f $tree/.complete ]]; then
    mkdir -p "$tree/small" "$tree/big"
    for i in $(seq 0 19999); do head -c 4096 /dev/urandom > "$tree/small/f$i"; done
    for i in $(seq 0 19); do head -c 20971520 /dev/urandom > "$tree/big/b$i"; done
    touch "$tree/.complete"
fi
find "$tree" -type f ! -name .complete | sort > "$scratch/all"
all=$(wc -l < "$scratch/all")
cat "$scratch/all" | xargs cat > /dev/null   # warm the page cache

digests() { sed -E 's/^([0-9a-f]{64}) +/\1  /' | sort -k2 | md5sum; }
reference=$(xargs -a "$scratch/all" -n 500 -P2 sha256sum | digests)
ours=$("$bin" run -j2 --allow-read="$tree" --input "$scratch/all" -e 'sha256_file(item) + "  " + item' | digests)
[[ $ours == "$reference" ]] || { echo "rsparallel's digests differ from sha256sum's" >&2; exit 1; }

load
header
measure "rsparallel -j2 sha256_file" "$all" "$bin run -j2 --allow-read=$tree --input $scratch/all -e 'sha256_file(item) + \"  \" + item'"
measure "xargs -n500 -P2 sha256sum (batched)" "$all" "xargs -a $scratch/all -n 500 -P2 sha256sum"
measure "parallel -X -j2 sha256sum (batched)" "$all" "parallel -X -j2 sha256sum :::: $scratch/all"
batched_reps=$REPS
REPS=1
measure "xargs -n1 -P2 sha256sum (per file)" "$all" "xargs -a $scratch/all -n 1 -P2 sha256sum"
measure "parallel -j2 sha256sum (per file)" "$all" "parallel -j2 sha256sum :::: $scratch/all"
REPS=$batched_reps
load
