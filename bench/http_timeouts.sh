#!/usr/bin/env bash
# Timeouts over the network: 10,000 GETs to a local server where 1 % of the paths (/0, /100,
# /200, ...) are accepted and never answered, 64 workers, --timeout 200ms. Every one of those
# 100 jobs must end timed_out close to its deadline, and the run must take about
#   (the answered requests' work + 100 × 0.2 s) ÷ 64 workers.
# Prints the wall time against that figure, and the timed-out jobs' lateness past 200 ms
# (median and max, from their records' duration_ms).
#
#   bench/http_timeouts.sh [REQUESTS]      (default 10000)
cd "$(dirname "$0")/.."
source bench/common.sh
need_release

n=${1:-10000}
port=18081
cat > "$scratch/server.py" << 'PY'
import asyncio, sys

BODY = b"x" * 1400
RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(BODY) + BODY

async def serve(reader, writer):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            path = head.split(b" ", 2)[1]
            if int(path.lstrip(b"/") or b"1") % 100 == 0:
                await asyncio.sleep(3600)  # accepted, never answered
            writer.write(RESPONSE)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass

async def main():
    server = await asyncio.start_server(serve, "127.0.0.1", int(sys.argv[1]), backlog=1024)
    async with server:
        await server.serve_forever()

asyncio.run(main())
PY
python3 "$scratch/server.py" "$port" &
server=$!
trap 'kill $server 2> /dev/null; rm -rf "$scratch"' EXIT
sleep 0.5
seq 0 $((n - 1)) | sed "s|.*|http://127.0.0.1:$port/&|" > "$scratch/urls"

load
# The answered requests alone, to know the work.
grep -v -E '/([0-9]*00|0)$' "$scratch/urls" > "$scratch/answered"
answered=$(wc -l < "$scratch/answered")
start=$(date +%s.%N)
"$bin" run -j64 --allow-net=127.0.0.1 --timeout 200ms --input "$scratch/answered" -e 'http_get(item).status' > /dev/null
work=$(echo "$(date +%s.%N) - $start" | bc)
start=$(date +%s.%N)
"$bin" run -j64 --allow-net=127.0.0.1 --timeout 200ms --input "$scratch/urls" --output jsonl \
    -e 'http_get(item).status' > "$scratch/records" || true
wall=$(echo "$(date +%s.%N) - $start" | bc)
python3 - "$scratch/records" "$work" "$wall" "$answered" "$n" << 'PY'
import json, statistics, sys
records = [json.loads(line) for line in open(sys.argv[1])]
work, wall, answered, n = float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
timed_out = [r for r in records if r["status"] == "timed_out"]
late = sorted(r["duration_ms"] - 200 for r in timed_out)
expected = work + (n - answered) * 0.2 / 64
print(f"records: {len(records)}, completed: {sum(r['status'] == 'completed' for r in records)}, timed_out: {len(timed_out)}")
if late:
    print(f"lateness past 200 ms: median {statistics.median(late):.2f} ms, max {late[-1]:.2f} ms")
print(f"wall {wall:.2f} s against (work {work:.2f} s + {n - answered} × 0.2 s ÷ 64) = {expected:.2f} s: {wall / expected:.2f}×")
PY
load
