#!/usr/bin/env bash
# How soon after its deadline a runaway job ends: 100 jobs of `loop {}` with a 100 ms timeout,
# 2 threads, lateness = duration_ms - 100 from the JSON Lines records; then 10 jobs each of loops
# whose every operation is a heavy native call (splitting 100 KB into characters, hashing
# 20 MB), which once ran seconds past their deadline; then one call each, on one item of 50 MB
# with a 50 ms timeout, of the batteries and Rhai string functions whose work follows the size
# of their input. Target: median <= 5 ms.
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

# late FILE SCRIPT LABEL [TIMEOUT_MS]: one job of SCRIPT on FILE's one line, --timeout 50ms
# unless given; prints its status and how long past the deadline it ended.
late() {
    local timeout=${4:-50}
    "$bin" run --input "$1" --timeout "${timeout}ms" --output jsonl -e "$2" > "$scratch/record.jsonl" 2> /dev/null || true
    python3 - "$scratch/record.jsonl" "$3" "$timeout" << 'PY'
import json, sys
r = json.loads(open(sys.argv[1]).readline())
print(f"  {sys.argv[2]:<40} {r['status']:<10} {r['duration_ms'] - float(sys.argv[3]):8.1f}")
PY
}

# One call on a 50 MB line: words, commas, tabs, quotes, colons, accents.
python3 - "$scratch/big.txt" << 'PY'
import random, sys
random.seed(1)
words = ["alpha", "Beta", "c,d", "e\tf", "x:y", "Hello World!", "é", "42", '"q"']
parts, n = [], 0
while n < 50_000_000:
    w = random.choice(words)
    parts.append(w)
    n += len(w) + 1
open(sys.argv[1], "w").write(" ".join(parts) + "\n")
PY
echo "one call on a 50 MB item, --timeout 50ms: status, lateness ms"
for call in 'csv_split(item)' 'words(item)' 'lines(item)' 'slugify(item)' 'to_csv([item, item])' \
    'pad_left(item, 120000000, "0")' 'hex_encode(item)' 'base64_encode(item)' 'url_encode(item)' \
    'url_decode(item)' 'to_json(item)' 'to_json(item.split(" "))' \
    'replace_regex(item, "[a-z]+", "$0$0")' 'item.to_upper()' 'item.to_lower()' \
    'item.replace("a", "bb")' 'item.remove("a")' 'item.sub_string(1)' 'item.crop(1)' \
    'item.split("")' 'find_all(item, "[a-z]+")' 'item.chars(-1)' 'for c in item {}' \
    'print(item)' 'debug(item)' 'item.to_debug()' '[item].to_string()' '#{k: item}.to_string()'; do
    late "$scratch/big.txt" "$call; 0" "$call"
done

# Searches with no match on 50 MB of `é ` (outside ASCII, `\b` leaves the regex crate its slow
# engine); then 37 MB of such text in base64, decoded.
python3 - "$scratch/accents.txt" "$scratch/base64.txt" << 'PY'
import base64, sys
text = "é " * 16_600_000
open(sys.argv[1], "w").write(text + "\n")
open(sys.argv[2], "w").write(base64.b64encode(text[:24_600_000].encode()).decode() + "\n")
PY
echo "one call on 50 MB with no match, --timeout 50ms: status, lateness ms"
for call in 'is_match(item, "\\b\\d\\b")' 'find(item, "\\b\\d\\b")' \
    'captures(item, "\\b(\\d)\\b")' 'find_all(item, "\\b\\d\\b")' \
    'split_regex(item, "\\b\\d\\b")' 'replace_regex(item, "\\b(\\d)\\b", "$1$1")' \
    'is_match(item, "\\b\\d+\\b")'; do
    late "$scratch/accents.txt" "$call; 0" "$call"
done
late "$scratch/base64.txt" 'base64_decode(item); 0' 'base64_decode(item) of 49 MB'

# Lower case of text with no two letters side by side: 48 MB of `€`, 48 MB of `É!`.
python3 - "$scratch/euro.txt" "$scratch/letter_bang.txt" << 'PY'
import sys
open(sys.argv[1], "w").write("€" * 16_000_000 + "\n")
open(sys.argv[2], "w").write("É!" * 16_000_000 + "\n")
PY
late "$scratch/euro.txt" 'item.to_lower(); 0' 'to_lower of 48 MB of €'
late "$scratch/letter_bang.txt" 'item.to_lower(); 0' 'to_lower of 48 MB of É!'

# Calls on an array of 20 M integers, built in ~0.5 s of a 1 s timeout. `a + a` copies the
# array in Rhai's own evaluation, where no native can look at the clock: the known exception.
echo "one call on an array of 20 M integers, --timeout 1s: status, lateness ms"
build='let a = [5, 3, 9, 1, 7, 2, 8, 4, 6, 0]; for i in 0..21 { a += a; }'
echo 1 > "$scratch/one.txt"
for call in 'a.sort()' 'a.sort_desc()' 'a.order()' 'a.order_desc()' 'a.sort(|x, y| x - y)' \
    'a.order(|x, y| x < y)' 'a.dedup()' 'a.dedup(|x, y| x == y)' 'a == a' 'a != a' \
    'a.contains(-1)' 'a.index_of(-1)' 'a + a' 'a.extract(1)' 'a.extract(1..20000000)' \
    'a.split(1)'; do
    late "$scratch/one.txt" "$build $call; 0" "$call" 1000
done

# Calls on a BLOB of 64 MiB (`blob` fills it in pieces, ~30 ms), --timeout 100ms. (With a
# deadline that passes as `blob` ends, `${b}` can be stopped at Rhai's own call of `to_string`,
# and Rhai then writes the BLOB itself, in one go: ~3 s. See bench/README.md.)
echo "one call on a BLOB of 64 MiB, --timeout 100ms: status, lateness ms"
for call in 'b.to_string()' 'b.to_debug()' 'print(b)' '`${b}`' 'to_json(b)' 'b.to_array()'; do
    late "$scratch/one.txt" "let b = blob(64 * 1024 * 1024, 7); $call; 0" "$call" 100
done

# A map of 1 M keys (~1.5 s to build), its keys or values taken over and over until the
# deadline, or a copy of it drained or retained by a filter that keeps going: --timeout 3s.
# (The copy `let n = m` is Rhai's own, made in one go: ~20 ms.)
echo "a map of 1 M keys, its keys or values in a loop, --timeout 3s: status, lateness ms"
for call in 'm.keys()' 'm.values()' 'let n = m; n.drain(|k, v| false)' \
    'let n = m; n.retain(|k, v| true)'; do
    late "$scratch/one.txt" "let m = #{}; for i in 0..1000000 { m[\`k\${i}\`] = i; } loop { $call; }" "$call" 3000
done
