# Convert a generated ~1 GiB safetensors file into 200 MB shards and compare
# the throughput with `cat` copying the same bytes (plain, and followed by an
# fsync as ckpt's atomic output is), plus ckpt's peak RSS.
set -u
CKPT=${CKPT:-$(cd "$(dirname "$0")/../.." && pwd)/ckpt}
W=$(mktemp -d /tmp/ckpt-bench.XXXXXX)
trap 'rm -rf "$W"' EXIT
big=$W/big.safetensors

# 256 F16/F32 tensors of 4 MiB; written a chunk at a time, never whole in RAM
/usr/bin/python3 - "$big" <<'PY' || exit 1
import json, os, struct, sys
n, per = 256, 4 << 20
h, off = {}, 0
for i in range(n):
    dt, sz = ("F32", 4) if i % 2 else ("F16", 2)
    h[f"model.layers.{i}.weight"] = {"dtype": dt, "shape": [per // sz // 64, 64], "data_offsets": [off, off + per]}
    off += per
b = json.dumps(h, separators=(",", ":")).encode(); b += b" " * ((8 - len(b) % 8) % 8)
chunk = os.urandom(per)
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<Q", len(b)) + b)
    for i in range(n):
        f.write(chunk[i:] + chunk[:i])
PY

# The machine is shared: the three runs alternate, best of 3 each.
timed() { # CMD... -> seconds on stdout (after a sync; previous outputs removed)
    rm -rf "$W/copy" "$W/out"; mkdir -p "$W/out"; sync
    local t0 t1
    t0=$(date +%s.%N); "$@" || return 1; t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc -l
}
min() { if [ -z "$1" ] || [ "$(echo "$2 < $1" | bc -l)" = 1 ]; then echo "$2"; else echo "$1"; fi; }
cat_plain() { cat "$big" > "$W/copy"; }
cat_fsync() { cat "$big" > "$W/copy" && sync "$W/copy"; }
ckpt_conv() {
    /usr/bin/time -f %M -a -o "$W/rss" "$CKPT" convert "$big" -o "$W/out/" --to safetensors \
        --shard-size 200MB --quiet && [ -f "$W/out/model.safetensors.index.json" ]
}
ckpt_nosync() {
    "$CKPT" convert "$big" -o "$W/out/" --to safetensors --shard-size 200MB --quiet --fsync never
}
ckpt_rw() {
    CKPT_COPY_FILE_RANGE=0 "$CKPT" convert "$big" -o "$W/out/" --to safetensors --shard-size 200MB --quiet
}
cat "$big" > /dev/null                       # warm the page cache
cat_s= catsync_s= ck_s= ckn_s= ckrw_s=
for _ in 1 2 3; do
    d=$(timed cat_plain) || { echo "bench_convert: cat failed"; exit 1; }; cat_s=$(min "$cat_s" "$d")
    d=$(timed cat_fsync) || { echo "bench_convert: cat failed"; exit 1; }; catsync_s=$(min "$catsync_s" "$d")
    d=$(timed ckpt_conv) || { echo "bench_convert: ckpt convert failed"; exit 1; }; ck_s=$(min "$ck_s" "$d")
    d=$(timed ckpt_nosync) || { echo "bench_convert: ckpt convert --fsync never failed"; exit 1; }; ckn_s=$(min "$ckn_s" "$d")
    d=$(timed ckpt_rw) || { echo "bench_convert: ckpt convert (read/write) failed"; exit 1; }; ckrw_s=$(min "$ckrw_s" "$d")
done
nsh=$(ls "$W/out" | grep -c '\.safetensors$')
rss_kb=$(sort -n "$W/rss" | tail -1)
# ckpt makes its output durable (fsync) before renaming it into place, so the
# headline compares with cat + fsync; plain cat (page cache only) is shown too.
/usr/bin/python3 -c "
cat_s, catsync_s, ck_s, rss = $cat_s, $catsync_s, $ck_s, $rss_kb / 1024
print(f'convert safetensors->safetensors (sharded): {catsync_s / ck_s:.2f} x cat+fsync throughput (target >= 0.8), '
      f'peak RSS {rss:.0f} MiB (target < 64)  [1 GiB, $nsh shards, best of 3: ckpt {ck_s:.2f}s, '
      f'cat+fsync {catsync_s:.2f}s, plain cat {cat_s:.2f}s = {cat_s / ck_s:.2f} x]')
ckn_s, ckrw_s = $ckn_s, $ckrw_s
print(f'convert --fsync never: {cat_s / ckn_s:.2f} x plain cat ({ckn_s:.2f}s); copy_file_range off (read/write): '
      f'{catsync_s / ckrw_s:.2f} x cat+fsync ({ckrw_s:.2f}s) vs {catsync_s / ck_s:.2f} x with it')"
