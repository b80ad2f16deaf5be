#!/bin/bash
# bench_tfjs: a generated ~200 MB legacy Keras h5 (100 Dense layers, tf.keras
# layout written by h5py) --to tfjs (model.json + 4 MiB shards), against `cat`
# of the same bytes (then sync'ed, as ckpt fsyncs) in the same run (target:
# throughput >= 0.7 of cat's), and peak RSS (target: < 64 MiB). Also
# --quantize uint8, which reads every tensor twice (min/max first).
set -u
CKPT=${CKPT:-$(cd "$(dirname "$0")/../.." && pwd)/ckpt}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PY=/usr/bin/python3
B=$(mktemp -d /tmp/ckpt-bench-tfjs.XXXXXX)
trap 'rm -rf "$B"' EXIT
export PYTHONPATH=$ROOT/tests
source "$(dirname "$0")/lib.sh"

$PY - "$B/m.h5" <<'PYEOF'
import sys
import numpy as np
import kgen
n, d = 100, 724                     # 100 x (724 x 724 kernel + bias) float32 ~ 200 MiB
layers = [kgen.dense("dense_%d" % i, d, d if i == 0 else None) for i in range(n)]
kgen.write(sys.argv[1], kgen.seq(*layers), [["dense_%d" % i, [["kernel", [d, d]], ["bias", [d]]]] for i in range(n)])
PYEOF
size=$(stat -c %s "$B/m.h5")
cat "$B/m.h5" >/dev/null   # warm the page cache for both
tc=$(best 3 sh -c "cat '$B/m.h5' > '$B/cat.out' && sync '$B/cat.out'")
rm -f "$B/cat.out"
tk=$(best 3 sh -c "'$CKPT' convert '$B/m.h5' --to tfjs -o '$B/out' --quiet && rm -rf '$B/out'")
rss=$(cat "$B/rss")
ratio=$(awk "BEGIN{printf \"%.2f\", $tc / $tk}")
mb=$(awk "BEGIN{printf \"%.0f\", $size / 1048576}")
echo "keras h5 -> tfjs: ${mb} MiB, cat ${tc}s, ckpt ${tk}s: throughput ratio $ratio of cat+sync (target >= 0.7); peak RSS $((rss / 1024)) MiB (target < 64)"
ok=1
awk "BEGIN{exit !($ratio >= 0.7)}" || ok=0
[ "$rss" -lt $((64 * 1024)) ] || ok=0
tq=$(best 2 sh -c "'$CKPT' convert '$B/m.h5' --to tfjs -o '$B/out' --quantize uint8 --quiet && rm -rf '$B/out'")
rssq=$(cat "$B/rss")
echo "keras h5 -> tfjs --quantize uint8: ckpt ${tq}s: ratio $(awk "BEGIN{printf \"%.2f\", $tc / $tq}") of cat+sync (of the input bytes); peak RSS $((rssq / 1024)) MiB (target < 64)"
[ "$rssq" -lt $((64 * 1024)) ] || ok=0
[ $ok = 1 ] && echo "bench_tfjs: targets met" || { echo "bench_tfjs: target missed"; exit 1; }
