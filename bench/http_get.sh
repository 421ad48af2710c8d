#!/usr/bin/env bash
# 10,000 HTTP GETs of a 1.4 KB static file from a local nginx (Debian's nginx-light, started
# here on the loopback address), 64 workers each, side by side:
#
#   rsparallel    64 workers, each job http_get(url) checking the status and reading the body
#   xargs -P64 curl, GNU parallel -j64 curl          (a process per request)
#   Python ThreadPoolExecutor(64): urllib, and a requests.Session per thread
#   curl -Z --parallel-max 64                        (one C process with keep-alive)
#
# Prints median wall time over $REPS runs (default 3), requests/s and peak RSS.
#
#   bench/http_get.sh [REQUESTS]      (default 10000)
cd "$(dirname "$0")/.."
source bench/common.sh
need_release
for tool in nginx curl parallel; do
    command -v $tool > /dev/null || apt-get install -y nginx-light curl parallel > /dev/null 2>&1 || true
done
python3 -c 'import requests' 2> /dev/null || apt-get install -y python3-requests > /dev/null 2>&1 || true

n=${1:-10000}
port=18080
root="$scratch/www"
mkdir -p "$root"
# nginx's workers run as another user: they must be able to read the file.
chmod 755 "$scratch" "$root"
head -c 1400 /dev/urandom | base64 -w 0 | head -c 1400 > "$root/file.txt"
cat > "$scratch/nginx.conf" << CONF
worker_processes 2;
pid $scratch/nginx.pid;
error_log $scratch/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    keepalive_requests 100000;
    server { listen 127.0.0.1:$port; root $root; }
}
CONF
nginx -c "$scratch/nginx.conf"
trap 'nginx -c "$scratch/nginx.conf" -s stop 2> /dev/null; rm -rf "$scratch"' EXIT
sleep 0.5
url="http://127.0.0.1:$port/file.txt"
seq 1 "$n" | sed "s|.*|$url|" > "$scratch/urls"
curl -sf "$url" > /dev/null || { echo "nginx did not answer" >&2; exit 1; }

cat > "$scratch/get.rhai" << 'RHAI'
let r = http_get(item);
if r.status != 200 { throw `status ${r.status}`; }
r.body.len()
RHAI
cat > "$scratch/threads.py" << 'PY'
import sys, threading, urllib.request
from concurrent.futures import ThreadPoolExecutor
urls = open(sys.argv[2]).read().split()
if sys.argv[1] == "urllib":
    def get(u):
        with urllib.request.urlopen(u) as r:
            return len(r.read())
else:
    import requests
    local = threading.local()
    def get(u):
        if not hasattr(local, "session"):
            local.session = requests.Session()
        r = local.session.get(u)
        r.raise_for_status()
        return len(r.content)
with ThreadPoolExecutor(64) as pool:
    assert all(n > 0 for n in pool.map(get, urls))
PY

load
header
measure "rsparallel -j64 http_get" "$n" "$bin run -j64 --allow-net=127.0.0.1 --input $scratch/urls $scratch/get.rhai"
measure "curl -Z --parallel-max 64 (one process)" "$n" "curl -s -Z --parallel-max 64 \$(sed 's/^/-o \\/dev\\/null /' $scratch/urls)"
measure "python ThreadPoolExecutor(64) urllib" "$n" "python3 $scratch/threads.py urllib $scratch/urls"
measure "python ThreadPoolExecutor(64) requests" "$n" "python3 $scratch/threads.py requests $scratch/urls"
measure "xargs -P64 curl (a process per request)" "$n" "xargs -a $scratch/urls -n1 -P64 curl -s -o /dev/null"
measure "parallel -j64 curl (a process per request)" "$n" "parallel -j64 curl -s -o /dev/null :::: $scratch/urls"
load
