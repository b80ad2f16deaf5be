# Download a generated 1 GiB file from the fake Hub on 127.0.0.1 (through the
# 302 to its "CDN" port, as the real Hub serves LFS files) with `ckpt pull`
# (parallel transfers, sha256 verified, written into the cache) and with
# `curl -L -o` of the same URL; throughput as a ratio, best of 5 each, and
# ckpt's peak RSS. Nothing touches the internet.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CKPT=${CKPT:-$ROOT/ckpt}
W=$(mktemp -d /tmp/ckpt-bench-hub.XXXXXX)
HUB_PID=
trap '[ -n "$HUB_PID" ] && kill $HUB_PID 2>/dev/null; rm -rf "$W"' EXIT
big=$W/big.bin
/usr/bin/python3 - "$big" <<'PY' || exit 1
import os, sys
chunk = os.urandom(4 << 20)
with open(sys.argv[1], "wb") as f:
    for i in range(256):
        f.write(chunk[i:] + chunk[:i])
PY
/usr/bin/python3 "$ROOT/tests/fakehub.py" --big "$big" >"$W/ports" 2>"$W/hub.err" &
HUB_PID=$!
for _ in $(seq 600); do grep -q HUB_PORT "$W/ports" 2>/dev/null && break; sleep 0.1; done
eval "$(cat "$W/ports")"
[ -n "${HUB_PORT:-}" ] || { echo "bench_hub: fake hub did not start: $(cat "$W/hub.err")"; exit 1; }
export HF_ENDPOINT=http://127.0.0.1:$HUB_PORT HF_HOME=$W/hf
url=$HF_ENDPOINT/org/big/resolve/main/big.bin

timed() { # CMD... -> seconds
    local t0 t1
    t0=$(date +%s.%N); "$@" >/dev/null || return 1; t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc -l
}
min() { if [ -z "$1" ] || [ "$(echo "$2 < $1" | bc -l)" = 1 ]; then echo "$2"; else echo "$1"; fi; }
curl_get() { rm -f "$W/curl.bin"; curl -sfL -o "$W/curl.bin" "$url"; }
ckpt_pull() {
    rm -rf "$HF_HOME"
    /usr/bin/time -f %M -a -o "$W/rss" "$CKPT" pull hf://org/big --quiet
}
cat "$big" >/dev/null
curl_s= ck_s=
for _ in 1 2 3 4 5; do
    d=$(timed curl_get) || { echo "bench_hub: curl failed"; exit 1; }; curl_s=$(min "$curl_s" "$d")
    rm -f "$W/curl.bin"
    d=$(timed ckpt_pull) || { echo "bench_hub: ckpt pull failed"; exit 1; }; ck_s=$(min "$ck_s" "$d")
done
cmp -s "$big" "$HF_HOME"/hub/models--org--big/snapshots/*/big.bin || { echo "bench_hub: downloaded bytes differ"; exit 1; }
rss_kb=$(sort -n "$W/rss" | tail -1)
/usr/bin/python3 -c "
curl_s, ck_s, rss = $curl_s, $ck_s, $rss_kb / 1024
print(f'hub download 1 GiB: {curl_s / ck_s:.2f} x curl -o throughput (target >= 0.9), peak RSS {rss:.0f} MiB  '
      f'[best of 5: ckpt pull {ck_s:.2f}s ({1024 / ck_s:.0f} MiB/s, sha256 verified), curl -L -o {curl_s:.2f}s]')"
