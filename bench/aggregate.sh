#!/usr/bin/env bash
# Count access-log lines by status code and by hour, side by side, each tool streaming the
# same file (page cache warm), every count checked identical to awk's:
#
#   rsparallel   -j2 --begin (two maps per worker) / tally_field(..) per line / --end / --reduce,
#                the same in function-call style, tally_field(s, item, 8),
#                and the same with tally(field(..)), a native call more per count
#   rsparallel   -j2, a field per line piped to sort | uniq -c (no aggregation: the old way)
#   awk          '{ s[$9]++; h[substr($4, 14, 2)]++ }'
#   cut | sort | uniq -c   once per count (status, then hour)
#   Python       collections.Counter over the lines, serial, and multiprocessing.Pool(2) over
#                batches of 10,000 lines
#
#   bench/aggregate.sh [LINES]     (default 10,000,000; REPS=3)
cd "$(dirname "$0")/.."
source bench/common.sh
need_release

lines=${1:-10000000}
log=/tmp/rsparallel-access-$lines.log
if [[ ! -f $log ]]; then
    # Combined log format; statuses drawn with fixed weights, hours spread over the day.
    awk -v n="$lines" 'BEGIN {
        srand(7); split("/ /index.html /api/items /static/app.js /login /img/logo.png", p, " ")
        for (i = 0; i < n; i++) {
            r = rand(); st = r < .70 ? 200 : r < .80 ? 304 : r < .92 ? 404 : r < .95 ? 500 : 301
            printf "10.%d.%d.%d - - [06/Dec/2026:%02d:%02d:%02d +0000] \"GET %s HTTP/1.1\" %d %d \"-\" \"Mozilla/5.0 (X11; Linux x86_64)\"\n",
                i % 7, i % 13, i % 251, int(i * 24 / n), i % 60, (i * 7) % 60, p[i % 6 + 1], st, 100 + (i * 37) % 9000
        }
    }' > "$log.part"
    mv "$log.part" "$log"
fi
cat "$log" > /dev/null   # warm the page cache

cat > "$scratch/counter.py" <<'PY'
import collections, sys
from multiprocessing import Pool

def count(lines):
    s, h = collections.Counter(), collections.Counter()
    for line in lines:
        f = line.split()
        s[f[8]] += 1
        h[f[3][13:15]] += 1
    return s, h

def batches(path, size=10_000):
    with open(path) as f:
        batch = []
        for line in f:
            batch.append(line)
            if len(batch) == size:
                yield batch
                batch = []
        if batch:
            yield batch

if __name__ == "__main__":
    mode, path = sys.argv[1], sys.argv[2]
    if mode == "serial":
        with open(path) as f:
            s, h = count(f)
    else:
        s, h = collections.Counter(), collections.Counter()
        with Pool(2) as pool:
            for ps, ph in pool.imap_unordered(count, batches(path)):
                s.update(ps)
                h.update(ph)
    for k, v in s.items(): print("s", k, v)
    for k, v in h.items(): print("h", k, v)
PY

rsp_count="$bin run -j2 --input $log --begin 'let s = #{}; let h = #{};' -e 's.tally_field(item, 8); h.tally_field(item, 1, \":\");' --end '#{ s: s, h: h }' --reduce 'a.s.tally(b.s); a.h.tally(b.h); a'"
rsp_call="$bin run -j2 --input $log --begin 'let s = #{}; let h = #{};' -e 'tally_field(s, item, 8); tally_field(h, item, 1, \":\");' --end '#{ s: s, h: h }' --reduce 'a.s.tally(b.s); a.h.tally(b.h); a'"
rsp_count2="$bin run -j2 --input $log --begin 'let s = #{}; let h = #{};' -e 's.tally(item.field(8)); h.tally(item.field(1, \":\"));' --end '#{ s: s, h: h }' --reduce 'a.s.tally(b.s); a.h.tally(b.h); a'"
rsp_uniq="$bin run -j2 --input $log -e 'item.field(8)' | sort | uniq -c | awk '{ print \"s\", \$2, \$1 }'; $bin run -j2 --input $log -e 'item.field(1, \":\")' | sort | uniq -c | awk '{ print \"h\", \$2, \$1 }'"
awk_count="awk '{ s[\$9]++; h[substr(\$4, 14, 2)]++ } END { for (k in s) print \"s\", k, s[k]; for (k in h) print \"h\", k, h[k] }' $log"
cut_count="cut -d' ' -f9 $log | sort | uniq -c | awk '{ print \"s\", \$2, \$1 }'; cut -d: -f2 $log | sort | uniq -c | awk '{ print \"h\", \$2, \$1 }'"
py_serial="python3 $scratch/counter.py serial $log"
py_pool="python3 $scratch/counter.py pool $log"

# Every tool's counts, as sorted "s|h KEY COUNT" lines.
normal() { sort; }
reference=$(bash -c "$awk_count" | normal | md5sum)
check() {
    local name=$1 got
    got=$(bash -c "$2" | normal | md5sum)
    [[ $got == "$reference" ]] || { echo "$name's counts differ from awk's" >&2; exit 1; }
}
rsp_lines() {
    bash -c "$1" | python3 -c '
import json, sys
r = json.load(sys.stdin)
for kind in ("s", "h"):
    for k, v in r[kind].items(): print(kind, k, v)'
}
for count in "$rsp_count" "$rsp_call" "$rsp_count2"; do
    [[ $(rsp_lines "$count" | normal | md5sum) == "$reference" ]] || { echo "rsparallel's counts differ from awk's" >&2; exit 1; }
done
check "rsparallel | sort | uniq -c" "$rsp_uniq"
check "cut | sort | uniq -c" "$cut_count"
check "python serial" "$py_serial"
check "python Pool(2)" "$py_pool"

load
header
measure "rsparallel -j2 --begin/--end/--reduce" "$lines" "$rsp_count"
measure "  the same, tally_field(s, item, 8)" "$lines" "$rsp_call"
measure "  the same, tally(field(..))" "$lines" "$rsp_count2"
measure "awk" "$lines" "$awk_count"
measure "cut | sort | uniq -c (x2)" "$lines" "$cut_count"
measure "python Counter, serial" "$lines" "$py_serial"
measure "python Counter, Pool(2)" "$lines" "$py_pool"
measure "rsparallel -j2 | sort | uniq -c (x2)" "$lines" "$rsp_uniq"
load
