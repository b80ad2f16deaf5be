#!/bin/bash
# bench_keras: legacy Keras h5 -> safetensors on a generated ~500 MB model in
# 250 layers (tf.keras layout written by h5py), against `cat` copying the
# same bytes (then sync'ed, as ckpt fsyncs) in the same run (target: throughput >= 0.7 of cat's), and peak
# RSS of the conversion (target: < 64 MiB); the same with copy_file_range off
# and with --fsync never; against Python (h5py + NumPy into safetensors);
# and .keras -> safetensors, its stored weights member read in place
# (target: >= 0.9 of cat+sync).
set -u
CKPT=${CKPT:-$(cd "$(dirname "$0")/../.." && pwd)/ckpt}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PY=/usr/bin/python3
B=$(mktemp -d /tmp/ckpt-bench-keras.XXXXXX)
trap 'rm -rf "$B"' EXIT
export PYTHONPATH=$ROOT/tests

source "$(dirname "$0")/lib.sh"   # best N CMD...

$PY - "$B/m.h5" <<'PYEOF'
import json, sys
import h5py, numpy as np
from kgen import dense, seq
out = sys.argv[1]
n, d_in, d_out = 250, 1024, 512            # 250 x (2 MiB kernel + bias) ~ 500 MiB
layers = [dense("dense" if i == 0 else "dense_%d" % i, d_out if i % 2 == 0 else d_in, d_in if i == 0 else None) for i in range(n)]
with h5py.File(out, "w") as f:
    f.attrs["keras_version"] = "2.15.0"
    f.attrs["backend"] = "tensorflow"
    f.attrs["model_config"] = json.dumps(seq(*layers))
    g = f.create_group("model_weights")
    names = [l["config"]["name"] for l in layers]
    g.attrs["layer_names"] = np.array([x.encode() for x in names])
    for i, name in enumerate(names):
        a, b = (d_in, d_out) if i % 2 == 0 else (d_out, d_in)
        lg = g.create_group(name)
        lg.attrs["weight_names"] = np.array([("%s/kernel:0" % name).encode(), ("%s/bias:0" % name).encode()])
        lg.create_dataset("%s/kernel:0" % name, data=np.full((a, b), i * 0.001, np.float32))
        lg.create_dataset("%s/bias:0" % name, data=np.full((b,), -i * 0.001, np.float32))
PYEOF
size=$(stat -c %s "$B/m.h5")
cat "$B/m.h5" >/dev/null   # warm the page cache for both
# ckpt fsyncs its output before renaming it into place; so does the reference
tc=$(best 5 sh -c "cat '$B/m.h5' > '$B/cat.out' && sync '$B/cat.out'")
rm -f "$B/cat.out"
tk=$(best 5 sh -c "'$CKPT' convert '$B/m.h5' -o '$B/out.safetensors' --quiet && rm -f '$B/out.safetensors'")
rss=$(cat "$B/rss")
ratio=$(awk "BEGIN{printf \"%.2f\", $tc / $tk}")
mb=$(awk "BEGIN{printf \"%.0f\", $size / 1048576}")
echo "keras h5 -> safetensors: ${mb} MiB, cat ${tc}s, ckpt ${tk}s: throughput ratio $ratio of cat+sync (target >= 0.7); peak RSS $((rss / 1024)) MiB (target < 64)"
# the sandboxed first open (src/sandbox.c) against none, same file, same run
tu=$(best 5 sh -c "CKPT_SANDBOX=off '$CKPT' convert '$B/m.h5' -o '$B/out.safetensors' --quiet && rm -f '$B/out.safetensors'")
sb=$(awk "BEGIN{printf \"%+.1f\", ($tk - $tu) / $tu * 100}")
echo "keras h5 sandbox: ${tk}s confined first open vs ${tu}s unconfined: ${sb}% (target within +10%)"
ok=1
awk "BEGIN{exit !($ratio >= 0.7)}" || ok=0
awk "BEGIN{exit !($tk <= $tu * 1.10)}" || ok=0
[ "$rss" -lt $((64 * 1024)) ] || ok=0

# the fast path's figures: file-to-file copies off (read/write), and --fsync never
tr=$(best 3 sh -c "CKPT_COPY_FILE_RANGE=0 '$CKPT' convert '$B/m.h5' -o '$B/out.safetensors' --quiet && rm -f '$B/out.safetensors'")
tn=$(best 3 sh -c "'$CKPT' convert '$B/m.h5' -o '$B/out.safetensors' --quiet --fsync never && rm -f '$B/out.safetensors'")
tcn=$(best 3 sh -c "cat '$B/m.h5' > '$B/cat.out'"); rm -f "$B/cat.out"
echo "keras h5 -> safetensors: copy_file_range ${tk}s vs read/write ${tr}s; --fsync never ${tn}s = $(awk "BEGIN{printf \"%.2f\", $tcn / $tn}")x plain cat (${tcn}s, no sync)"

# the Python path a user takes without TensorFlow: h5py + NumPy, then the
# safetensors bytes (tests/stio.py, as safetensors.numpy.save_file lays them out), fsync'ed
cat > "$B/py.py" <<'PYEOF'
import os, sys, h5py, numpy as np, stio
src, out = sys.argv[1:3]
t = {}
with h5py.File(src, "r") as f:
    f["model_weights"].visititems(lambda n, o: t.__setitem__(n, o[()]) if isinstance(o, h5py.Dataset) else None)
stio.write(out, t)
fd = os.open(out, os.O_RDONLY); os.fsync(fd); os.close(fd)
PYEOF
tp=$(best 3 sh -c "$PY '$B/py.py' '$B/m.h5' '$B/py.safetensors' && rm -f '$B/py.safetensors'")
rssp=$(cat "$B/rss")
echo "keras h5 -> safetensors vs Python (h5py + NumPy): ckpt ${tk}s, python ${tp}s = $(awk "BEGIN{printf \"%.1f\", $tp / $tk}")x faster (target >= 4); peak RSS $((rss / 1024)) vs $((rssp / 1024)) MiB (target <= 1/20)"

# .keras: the same weights in a zip (stored), read in place (no copy out of the zip)
"$CKPT" convert "$B/m.h5" --to keras -o "$B/m.keras" --quiet
cat "$B/m.keras" >/dev/null
tcz=$(best 3 sh -c "cat '$B/m.keras' > '$B/cat.out' && sync '$B/cat.out'"); rm -f "$B/cat.out"
tz=$(best 3 sh -c "'$CKPT' convert '$B/m.keras' -o '$B/out.safetensors' --quiet && rm -f '$B/out.safetensors'")
rssz=$(cat "$B/rss")
rz=$(awk "BEGIN{printf \"%.2f\", $tcz / $tz}")
echo ".keras -> safetensors: ckpt ${tz}s, cat+sync ${tcz}s: throughput ratio $rz of cat+sync (target >= 0.9); peak RSS $((rssz / 1024)) MiB (target < 64)"
[ "$rssz" -lt $((64 * 1024)) ] || ok=0
awk "BEGIN{exit !($rz >= 0.9)}" || ok=0
[ $ok = 1 ] && echo "bench_keras: targets met" || { echo "bench_keras: target missed"; exit 1; }
