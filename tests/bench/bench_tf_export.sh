#!/bin/bash
# bench_tf_export: a generated ~256 MB TF.js graph model (64 float32 Const
# weights of 4 MiB in 4 MiB shards, each feeding an Identity) --to tf-frozen,
# against the same model --to safetensors in the same run (the same reader:
# this measures the GraphDef writer; target: throughput >= 0.75 of it), with
# `cat` of the shard bytes (then sync'ed, as ckpt fsyncs) shown beside, and
# peak RSS of the conversion (target: < 64 MiB: the Const nodes'
# tensor_content streams, the graph alone is held).
set -u
CKPT=${CKPT:-$(cd "$(dirname "$0")/../.." && pwd)/ckpt}
PY=/usr/bin/python3
B=$(mktemp -d /tmp/ckpt-bench-tf.XXXXXX)
trap 'rm -rf "$B"' EXIT

source "$(dirname "$0")/lib.sh"   # best N CMD...

$PY - "$B/m" <<'PYEOF'
import json, os, sys
import numpy as np
d = sys.argv[1]; os.makedirs(d)
n, k = 64, 1 << 20                     # 64 x 4 MiB float32
nodes, weights, paths = [], [], []
for i in range(n):
    name = "w%d" % i
    nodes.append({"name": name, "op": "Const", "attr": {"dtype": {"type": "DT_FLOAT"}, "value": {"tensor": {
        "dtype": "DT_FLOAT", "tensorShape": {"dim": [{"size": str(k)}]}}}}})
    nodes.append({"name": "id%d" % i, "op": "Identity", "input": [name], "attr": {"T": {"type": "DT_FLOAT"}}})
    weights.append({"name": name, "shape": [k], "dtype": "float32"})
    p = "group1-shard%dof%d.bin" % (i + 1, n)
    np.full(k, i * 0.5, "<f4").tofile(os.path.join(d, p))
    paths.append(p)
json.dump({"format": "graph-model", "modelTopology": {"node": nodes, "versions": {"producer": 1}},
           "weightsManifest": [{"paths": paths, "weights": weights}]}, open(os.path.join(d, "model.json"), "w"))
PYEOF
size=$(cat "$B"/m/*.bin | wc -c)
cat "$B"/m/*.bin >/dev/null   # warm the page cache for both
tc=$(best 3 sh -c "cat '$B'/m/*.bin > '$B/cat.out' && sync '$B/cat.out'")
rm -f "$B/cat.out"
ts=$(best 3 sh -c "'$CKPT' convert '$B/m' -o '$B/out.safetensors' --quiet && rm -f '$B/out.safetensors'")
tk=$(best 3 sh -c "'$CKPT' convert '$B/m' --to tf-frozen -o '$B/out.pb' --quiet && rm -f '$B/out.pb'")
rss=$(cat "$B/rss")
ratio=$(awk "BEGIN{printf \"%.2f\", $ts / $tk}")
rcat=$(awk "BEGIN{printf \"%.2f\", $tc / $tk}")
mb=$(awk "BEGIN{printf \"%.0f\", $size / 1048576}")
echo "tfjs graph -> tf-frozen: ${mb} MiB, ckpt ${tk}s, --to safetensors ${ts}s: throughput ratio $ratio (target >= 0.75); cat+sync ${tc}s (ratio $rcat); peak RSS $((rss / 1024)) MiB (target < 64)"
ok=1
awk "BEGIN{exit !($ratio >= 0.75)}" || ok=0
[ "$rss" -lt $((64 * 1024)) ] || ok=0
[ $ok = 1 ]
