#!/bin/bash
# bench_export_c: `--to c` of the largest Keras fixture (tiny_XCEPTION_KDEF,
# separable convolutions and BatchNormalization, 64x64x1 input): the
# generated C's predict (cc -O3, best of 3 rounds of 5 on a batch of 7) against
# TensorFlow.js 4.22's CPU predict of ckpt's --to tfjs output of the same
# model on the same inputs, in the same run (target: >= 5x faster), its
# peak RSS, and the exported weights' size (--weights file's NAME.bin, and
# the embedded NAME.c) against the source file's.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CKPT=${CKPT:-$ROOT/ckpt}
SRC=${EXPORT_C_BENCH_MODEL:-$ROOT/../shared/fixtures/real/keras2_h5/fc-tiny_XCEPTION_KDEF/tiny_XCEPTION_KDEF.hdf5}
B=$(mktemp -d /tmp/ckpt-bench-c.XXXXXX)
trap 'rm -rf "$B"' EXIT
NODEDIR=$ROOT/tests/node
[ -f "$SRC" ] || { echo "bench_export_c: skipped ($SRC missing)"; exit 0; }
[ -d "$NODEDIR/node_modules/@tensorflow/tfjs" ] || { echo "bench_export_c: skipped (no tfjs in tests/node; npm ci there)"; exit 0; }
N=7 R=5
"$CKPT" convert --quiet "$SRC" --to c -o "$B/x.c" || exit 1
"$CKPT" convert --quiet "$SRC" --to c --weights file -o "$B/f/x.c" || exit 1
"$CKPT" convert --quiet "$SRC" --to tfjs -o "$B/tj/" || exit 1
(cd "$NODEDIR" && node klayers_gen.js ref "$B/tj/model.json" "$B/ref" bench) >/dev/null 2>&1 || { echo "bench_export_c: tfjs failed"; exit 1; }
cc -std=c99 -O3 -I"$B" -DMODEL_H='"x.h"' '-DM(x)=x_##x' "$ROOT/tests/bench/export_c_time.c" "$B/x.c" -lm -o "$B/t" || exit 1
cc -std=c99 -O2 -I"$B" -DMODEL_H='"x.h"' '-DM(x)=x_##x' "$ROOT/tests/bench/export_c_time.c" "$B/x.c" -lm -o "$B/t2" || exit 1
min() { if [ -z "$1" ] || awk "BEGIN{exit !($2 < $1)}"; then echo "$2"; else echo "$1"; fi; }
# the machine is shared: three rounds alternating C and TF.js, the best of each
c_ms= js_ms= o2_ms=
for _ in 1 2 3; do
    t=$(/usr/bin/time -f %M -o "$B/rss" "$B/t" "$B/ref" $N $R) || { echo "bench_export_c: C predict failed"; exit 1; }
    c_ms=$(min "$c_ms" "$t")
    t=$("$B/t2" "$B/ref" $N $R) || exit 1
    o2_ms=$(min "$o2_ms" "$t")
    t=$(cd "$NODEDIR" && node kbench.js "$B/tj/model.json" "$B/ref" $N $R 2>/dev/null | tail -1)
    case $t in [0-9]*) ;; *) echo "bench_export_c: tfjs predict failed: $t"; exit 1;; esac
    js_ms=$(min "$js_ms" "$t")
done
rss=$(cat "$B/rss")
src=$(stat -c %s "$SRC") bin=$(stat -c %s "$B/f/x.bin") csz=$(stat -c %s "$B/x.c")
ratio=$(awk "BEGIN{printf \"%.1f\", $js_ms / $c_ms}")
echo "C export predict ($(basename "$SRC"), batch $N): C ${c_ms} ms, TF.js CPU ${js_ms} ms: ${ratio}x faster (target >= 5x); peak RSS $((rss / 1024)) MiB; at -O2: ${o2_ms} ms, $(awk "BEGIN{printf \"%.1f\", $js_ms / $o2_ms}")x"
echo "C export weights: NAME.bin $bin bytes = $(awk "BEGIN{printf \"%.2f\", $bin / $src}") of the source's $src (embedded NAME.c: $csz bytes, $(awk "BEGIN{printf \"%.2f\", $csz / $src}"))"
awk "BEGIN{exit !($ratio >= 5)}" && echo "bench_export_c: target met" || { echo "bench_export_c: target missed"; exit 1; }
