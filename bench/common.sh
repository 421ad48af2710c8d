# Helpers shared by the bench/*.sh scripts (sourced, not run).
#
# measure LABEL ITEMS CMD...   runs CMD (through bash -c) $REPS times (default 3), its stdout to
#                              a scratch file, and prints one row: label, items, median
#                              seconds, items/s, peak RSS (MB, the largest of the runs).
set -euo pipefail

REPS=${REPS:-3}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

need_release() {
    cargo build --release --quiet
    bin=$PWD/target/release/rsparallel
}

median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

measure() {
    local label=$1 items=$2
    shift 2
    local times=() rss=0
    for _ in $(seq "$REPS"); do
        /usr/bin/time -f '%e %M' -o "$scratch/time" bash -c "$*" > "$scratch/out" 2> "$scratch/err" || true
        read -r t m < <(tail -1 "$scratch/time")
        times+=("$t")
        ((m > rss)) && rss=$m
    done
    local med
    med=$(printf '%s\n' "${times[@]}" | median)
    awk -v l="$label" -v n="$items" -v s="$med" -v r="$rss" \
        'BEGIN { printf "| %-44s | %10d | %8.3f | %12.0f | %8.1f |\n", l, n, s, (s > 0 ? n / s : 0), r / 1024 }'
}

header() {
    echo "| run | items | median s | items/s | peak RSS MB |"
    echo "|---|---:|---:|---:|---:|"
}

load() { echo "load: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores, $(date -u +%FT%TZ)"; }
