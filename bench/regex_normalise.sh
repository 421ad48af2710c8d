#!/usr/bin/env bash
# Normalises a million short strings (runs of non-alphanumerics to one space, then lowercase)
# five ways and prints items/s for each: rsparallel with the replace_regex battery, rsparallel
# with the same work as a Rhai character loop, and Python's re.sub + lower() serially and with
# multiprocessing.Pool(2). Run it on an otherwise idle machine; quote ratios from one run.
#
#   bench/regex_normalise.sh [ITEMS]      (default 1000000)
set -euo pipefail
cd "$(dirname "$0")/.."

items=${1:-1000000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo build --release --quiet
bin=target/release/rsparallel

python3 - "$items" > "$work/items.txt" <<'PY'
import sys
n = int(sys.argv[1])
out = sys.stdout
for i in range(n):
    out.write(f"  User-{i}: Hello,   WORLD!! (id #{i * 7919 % 10007})  \n")
PY

native='replace_regex(item, "[^A-Za-z0-9]+", " ").to_lower()'
char_loop='
let out = ""; let gap = false;
for c in item {
    if (c >= '"'a'"' && c <= '"'z'"') || (c >= '"'0'"' && c <= '"'9'"') { if gap { out += " "; } out += c; gap = false; }
    else if c >= '"'A'"' && c <= '"'Z'"' { if gap { out += " "; } out += c.to_lower(); gap = false; }
    else { gap = true; }
}
if gap { out += " "; }
out'

# Prints "LABEL  ITEMS/s" for a command that reads $work/items.txt and writes to $2.
measure() {
    local label=$1 out=$2
    shift 2
    local start end
    start=$(date +%s.%N)
    "$@" > "$out"
    end=$(date +%s.%N)
    python3 -c "import sys; n, t = int(sys.argv[1]), float(sys.argv[3]) - float(sys.argv[2]); print(f'{sys.argv[4]:<44} {n / t:>12,.0f} items/s  ({t:.2f} s)')" \
        "$items" "$start" "$end" "$label"
}

python_script="$work/normalise.py"
cat > "$python_script" <<'PY'
import re, sys
from multiprocessing import Pool

PATTERN = re.compile(r"[^A-Za-z0-9]+")

def normalise(line):
    return PATTERN.sub(" ", line.rstrip("\n")).lower()

if __name__ == "__main__":
    with open(sys.argv[1]) as f:
        lines = f.readlines()
    if sys.argv[2] == "serial":
        out = [normalise(l) for l in lines]
    else:
        with Pool(2) as pool:
            out = pool.map(normalise, lines, chunksize=10000)
    sys.stdout.write("\n".join(out))
    sys.stdout.write("\n")
PY

echo "normalising $items short strings; $(nproc) CPUs"
measure "rsparallel -j 2, replace_regex + to_lower" "$work/native.out" \
    "$bin" run -e "$native" --input "$work/items.txt" -j 2 --keep-order
measure "rsparallel -j 2, Rhai character loop" "$work/loop.out" \
    "$bin" run -e "$char_loop" --input "$work/items.txt" -j 2 --keep-order
measure "python3 re.sub + lower(), serial" "$work/py1.out" python3 "$python_script" "$work/items.txt" serial
measure "python3 re.sub + lower(), Pool(2)" "$work/py2.out" python3 "$python_script" "$work/items.txt" pool

# The four must agree, or the figures compare different work.
for f in loop py1 py2; do
    cmp -s "$work/native.out" "$work/$f.out" || { echo "output of $f differs from rsparallel's" >&2; exit 1; }
done
echo "all outputs identical"
