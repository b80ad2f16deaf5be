# --to torch: convert a generated safetensors file (BENCH_MIB, default 1024
# MiB) into one torch.save archive and compare the throughput with `cat`
# copying the same bytes followed by an fsync (ckpt's output is made durable
# before it is renamed into place), plus ckpt's peak RSS. And the GGUF Q4_K
# dequantization rate in MB/s of F32 output (written to tmpfs, so the
# decoding is what is measured).
set -u
CKPT=${CKPT:-$(cd "$(dirname "$0")/../.." && pwd)/ckpt}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
MIB=${BENCH_MIB:-1024}
W=$(mktemp -d /tmp/ckpt-bench.XXXXXX)
SHM=$(mktemp -d /dev/shm/ckpt-bench.XXXXXX 2>/dev/null || mktemp -d /tmp/ckpt-bench-shm.XXXXXX)
trap 'rm -rf "$W" "$SHM"' EXIT
big=$W/big.safetensors

/usr/bin/python3 - "$big" "$MIB" <<'PY' || exit 1
import json, os, struct, sys
per = 4 << 20
n = max(1, int(sys.argv[2]) // 4)
h, off = {}, 0
for i in range(n):
    dt, sz = ("F32", 4) if i % 2 else ("BF16", 2)
    h[f"model.layers.{i}.weight"] = {"dtype": dt, "shape": [per // sz // 64, 64], "data_offsets": [off, off + per]}
    off += per
b = json.dumps(h, separators=(",", ":")).encode(); b += b" " * ((8 - len(b) % 8) % 8)
chunk = os.urandom(per)
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<Q", len(b)) + b)
    for i in range(n):
        f.write(chunk[i:] + chunk[:i])
PY

timed() { # CMD... -> seconds on stdout
    rm -rf "$W/copy" "$W/out.pt" "$SHM"/*; sync
    local t0 t1
    t0=$(date +%s.%N); "$@" || return 1; t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc -l
}
min() { if [ -z "$1" ] || [ "$(echo "$2 < $1" | bc -l)" = 1 ]; then echo "$2"; else echo "$1"; fi; }
cat_fsync() { cat "$big" > "$W/copy" && sync "$W/copy"; }
ckpt_torch() {
    /usr/bin/time -f %M -a -o "$W/rss" "$CKPT" convert "$big" -o "$W/out.pt" --quiet && [ -f "$W/out.pt" ]
}
cat "$big" > /dev/null
catsync_s= ck_s=
for _ in 1 2 3; do
    d=$(timed cat_fsync) || { echo "bench_torch_write: cat failed"; exit 1; }; catsync_s=$(min "$catsync_s" "$d")
    d=$(timed ckpt_torch) || { echo "bench_torch_write: ckpt convert failed"; exit 1; }; ck_s=$(min "$ck_s" "$d")
done
rss_kb=$(sort -n "$W/rss" | tail -1)
/usr/bin/python3 -c "
catsync_s, ck_s, rss = $catsync_s, $ck_s, $rss_kb / 1024
print(f'convert safetensors->torch: {catsync_s / ck_s:.2f} x cat+fsync throughput, peak RSS {rss:.0f} MiB  '
      f'[$MIB MiB, best of 3: ckpt {ck_s:.2f}s, cat+fsync {catsync_s:.2f}s]')"

# ---- Q4_K dequantization: 16 MiB of blocks -> 113 MiB of F32 ----------------
/usr/bin/python3 - "$W/q4k.gguf" <<PY || exit 1
import sys, numpy as np
sys.path.insert(0, "$ROOT/tests")
import ggufref
nb = (16 << 20) // 144
B = np.random.default_rng(0).integers(0, 256, (nb, 144), dtype=np.uint8)
B[:, 1] &= 0x3B; B[:, 3] &= 0x3B             # small finite fp16 d and dmin
ggufref.write(sys.argv[1], [], [("q4k", 12, (nb // 64, 64 * 256), B.tobytes())])
PY
deq() { "$CKPT" convert "$W/q4k.gguf" -o "$SHM/q4k.safetensors" --quiet; }
deq_s=
for _ in 1 2 3; do d=$(timed deq) || { echo "bench_torch_write: Q4_K convert failed"; exit 1; }; deq_s=$(min "$deq_s" "$d"); done
/usr/bin/python3 -c "
out = ($((16 << 20)) // 144 // 64 * 64) * 256 * 4
print(f'GGUF Q4_K dequantization: {out / $deq_s / 1e6:.0f} MB/s of F32 output  [{out / 1e6:.0f} MB to tmpfs, best of 3: {$deq_s:.2f}s]')"
