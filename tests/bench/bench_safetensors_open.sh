# Open a sharded safetensors set of 100,000 tensors (`ckpt ls`) against
# Python reading the same index and headers with json (the tests' reference
# reader). Guards against quadratic lookups in the open path.
set -u
CKPT=${CKPT:-$(cd "$(dirname "$0")/../.." && pwd)/ckpt}
W=$(mktemp -d /tmp/ckpt-bench.XXXXXX)
trap 'rm -rf "$W"' EXIT
/usr/bin/python3 - "$W/one.safetensors" <<'PY' || exit 1
import json, struct, sys
h, off = {}, 0
for i in range(100000):
    h[f"model.layers.{i // 10}.p{i % 10}.weight"] = {"dtype": "F16", "shape": [2], "data_offsets": [off, off + 4]}
    off += 4
b = json.dumps(h).encode(); b += b" " * ((8 - len(b) % 8) % 8)
open(sys.argv[1], "wb").write(struct.pack("<Q", len(b)) + b + b"\0" * off)
PY
"$CKPT" convert "$W/one.safetensors" -o "$W/set/" --to safetensors --shard-size 100kB --quiet \
    || { echo "bench_safetensors_open: convert failed"; exit 1; }
cat > "$W/pyls.py" <<'PY'
import json, os, struct, sys
d = sys.argv[1]
ix = json.load(open(os.path.join(d, "model.safetensors.index.json")))
n = 0
for s in sorted(set(ix["weight_map"].values())):
    with open(os.path.join(d, s), "rb") as f:
        h = json.loads(f.read(struct.unpack("<Q", f.read(8))[0]))
    for k, v in h.items():
        if k != "__metadata__":
            assert ix["weight_map"][k] == s
            n += 1
print(n)
PY
best() {
    local b="" t0 t1 d
    for _ in 1 2 3; do
        t0=$(date +%s.%N); "$@" > "$W/o" || return 1; t1=$(date +%s.%N)
        d=$(echo "$t1 - $t0" | bc -l)
        if [ -z "$b" ] || [ "$(echo "$d < $b" | bc -l)" = 1 ]; then b=$d; fi
    done
    echo "$b"
}
py_s=$(best /usr/bin/python3 "$W/pyls.py" "$W/set") || { echo "bench_safetensors_open: python failed"; exit 1; }
ck_s=$(best "$CKPT" ls "$W/set") || { echo "bench_safetensors_open: ckpt ls failed"; exit 1; }
/usr/bin/time -f %M -o "$W/rss" "$CKPT" ls "$W/set" > /dev/null
/usr/bin/python3 -c "
py, ck, rss = $py_s, $ck_s, $(cat "$W/rss") / 1024
print(f'open+ls sharded safetensors, 100k tensors: {py / ck:.2f} x Python json reader speed (target >= 0.5), '
      f'peak RSS {rss:.0f} MiB  [ckpt {ck:.2f}s, python {py:.2f}s, best of 3]')"
