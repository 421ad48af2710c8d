#!/usr/bin/env bash
# Peak memory of `rsparallel run -e item --input FILE` over 10 thousand and 10 million lines, with
# and without the progress bar: the invariant is that memory does not follow the input's size
# (target: the large run's peak within 1.5 times the small one's). Needs GNU time.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q
bin=target/release/rsparallel
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
seq 1 10000 > "$dir/small.txt"
seq 1 10000000 > "$dir/large.txt"
for flags in --no-progress --progress; do
    for size in small large; do
        /usr/bin/time -f "$size $flags: %M KiB peak, %e s" "$bin" run -e item --input "$dir/$size.txt" "$flags" \
            > /dev/null 2> "$dir/err"
        tail -n 1 "$dir/err"
    done
done
