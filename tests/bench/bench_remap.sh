#!/bin/bash
# bench_remap: the cost of remap rules and of diff --values.
#  1. a 200-rule map applied while converting a generated 10,000-tensor model,
#     against the same conversion without it (target: < 5% more time);
#  2. `ckpt diff --values` of two ~1 GiB checkpoints, against `cat` reading
#     both (target: at least half of cat's speed);
#  peak RSS of each (target: < 64 MiB).
set -u
CKPT=${CKPT:-$(cd "$(dirname "$0")/../.." && pwd)/ckpt}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PY=/usr/bin/python3
B=$(mktemp -d /tmp/ckpt-bench-remap.XXXXXX)
trap 'rm -rf "$B"' EXIT
export PYTHONPATH=$ROOT/tests
if ! "$CKPT" formats 2>/dev/null | grep -q safetensors; then echo "SKIP bench_remap: no safetensors format"; exit 0; fi

best() { # N cmd... -> min wall seconds over N runs; peak RSS (KiB) in $B/rss, min CPU seconds in $B/cpu
    local n=$1; shift
    local bestt= bestc=
    for _ in $(seq "$n"); do
        /usr/bin/time -f "%e %M %U %S" -o "$B/time" "$@" >/dev/null 2>"$B/err" || { cat "$B/err"; return 1; }
        local t c; t=$(cut -d' ' -f1 "$B/time"); c=$(awk '{print $3 + $4}' "$B/time")
        cut -d' ' -f2 "$B/time" > "$B/rss"
        if [ -z "$bestt" ] || awk "BEGIN{exit !($t < $bestt)}"; then bestt=$t; fi
        if [ -z "$bestc" ] || awk "BEGIN{exit !($c < $bestc)}"; then bestc=$c; fi
    done
    echo "$bestc" > "$B/cpu"
    echo "$bestt"
}

# ---- 1. 200 rules over 10,000 tensors ----
$PY - "$B" <<'PYEOF'
import sys, numpy as np, stio
d = sys.argv[1]
names = ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj", "mlp.gate_proj",
         "mlp.up_proj", "mlp.down_proj", "input_layernorm", "post_attention_layernorm", "extra"]
t, z = {}, np.ones((64, 256), np.float32)   # 64 KiB each, 625 MiB in all (a ~160M-parameter model)
for i in range(1000):
    for n in names:
        t[f"model.layers.{i}.{n}.weight"] = z
stio.write(f"{d}/m.safetensors", t)
rules = ["# 200 rules: per-block renames, suffix rewrites, a few drops that match nothing"]
for k in range(180):
    rules.append(rf"^model\.layers\.{k}\.self_attn\.(q|k|v|o)_proj\.weight$ -> blocks.{k}.attention.$1.kernel")
for n in names:
    rules.append(rf"^model\.layers\.([0-9]+)\.{n.replace('.', chr(92) + '.')}\.weight$ -> blk.$1.{n.replace('.', '_')}")
for k in range(10):
    rules.append(rf"? ^never_{k}\.(.*)$ -> drop")
open(f"{d}/map.txt", "w").write("\n".join(rules) + "\n")
assert len(rules) - 1 == 200
PYEOF
"$CKPT" convert "$B/m.safetensors" -o "$B/warm.safetensors" --quiet; rm -f "$B/warm.safetensors"
# interleaved (without, with, without, ...) so that load on a shared
# machine falls on both alike; best of 5 each, wall and CPU apart
t0= t1= c0= c1=
for _ in 1 2 3 4 5; do
    t=$(best 1 "$CKPT" convert "$B/m.safetensors" -o "$B/o0.safetensors" --quiet); c=$(cat "$B/cpu"); r0=$(cat "$B/rss")
    if [ -z "$t0" ] || awk "BEGIN{exit !($t < $t0)}"; then t0=$t; fi
    if [ -z "$c0" ] || awk "BEGIN{exit !($c < $c0)}"; then c0=$c; fi
    t=$(best 1 "$CKPT" convert "$B/m.safetensors" -o "$B/o1.safetensors" --quiet --map "$B/map.txt"); c=$(cat "$B/cpu"); r1=$(cat "$B/rss")
    if [ -z "$t1" ] || awk "BEGIN{exit !($t < $t1)}"; then t1=$t; fi
    if [ -z "$c1" ] || awk "BEGIN{exit !($c < $c1)}"; then c1=$c; fi
done
"$CKPT" ls "$B/o1.safetensors" | grep -q "blocks.17.attention.q.kernel" || { echo "FAIL bench_remap: map not applied"; exit 1; }
awk -v a="$t0" -v b="$t1" -v r0="$r0" -v r1="$r1" -v c0="$c0" -v c1="$c1" 'BEGIN{
  printf "remap 200 rules x 10000 tensors: wall %.2fs vs %.2fs without (%+.1f%%), CPU %.2fs vs %.2fs (%+.1f%%), target < +5%% each; peak RSS %.1f MiB (without: %.1f MiB)\n",
         b, a, (b/a-1)*100, c1, c0, (c1/c0-1)*100, r1/1024, r0/1024 }'
rm -f "$B"/o0.safetensors "$B"/o1.safetensors "$B/m.safetensors"

# ---- 2. diff --values of two ~1 GiB checkpoints ----
$PY - "$B" <<'PYEOF'
import sys, numpy as np, stio
d = sys.argv[1]
r = np.random.default_rng(0)
a = {f"t{i}": r.standard_normal((1024, 4096), dtype=np.float32) for i in range(64)}   # 64 x 16 MiB = 1 GiB
stio.write(f"{d}/a.safetensors", a)
a["t7"] = a["t7"] + np.float32(1e-3)
stio.write(f"{d}/b.safetensors", a)
PYEOF
cat "$B/a.safetensors" "$B/b.safetensors" > /dev/null
tc=$(best 3 cat "$B/a.safetensors" "$B/b.safetensors")
/usr/bin/time -f "%e %M" -o "$B/time" "$CKPT" diff --values --quiet "$B/a.safetensors" "$B/b.safetensors" > "$B/out" 2>&1
grep -q "1 with different values" "$B/out" || { echo "FAIL bench_remap: diff result"; cat "$B/out"; exit 1; }
td=$(best 3 sh -c "'$CKPT' diff --values --quiet '$B/a.safetensors' '$B/b.safetensors'; [ \$? -eq 1 ]"); rd=$(cat "$B/rss")
bytes=$(( $(stat -c %s "$B/a.safetensors") + $(stat -c %s "$B/b.safetensors") ))
awk -v c="$tc" -v d="$td" -v n="$bytes" -v r="$rd" 'BEGIN{
  printf "diff --values 2 x 1 GiB: %.0f MiB/s vs cat %.0f MiB/s (%.2fx of cat, target >= 0.5x); peak RSS %.1f MiB\n",
         n/d/1048576, n/c/1048576, c/d, r/1024 }'
