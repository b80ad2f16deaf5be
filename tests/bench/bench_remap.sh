#!/bin/bash
# bench_remap: the cost of remap rules and of diff --values.
#  1. a 200-rule map applied while converting a generated 10,000-tensor model,
#     against the same conversion without it (target: < 5% more wall time
#     and < 5% more CPU time), and the remap work alone on 4-byte tensors;
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

source "$(dirname "$0")/lib.sh"   # best N CMD...: wall, and $B/cpu $B/rss

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
# the same 10,000 names on 4-byte tensors: the copy is nothing there, so
# the difference is the remap work itself (parse, compile, match, rename)
$PY - "$B" <<'PYEOF'
import sys, json, struct
d = sys.argv[1]
with open(f"{d}/m.safetensors", "rb") as f:
    names = [k for k in json.loads(f.read(struct.unpack("<Q", f.read(8))[0])) if k != "__metadata__"]
h = json.dumps({k: {"dtype": "F32", "shape": [1], "data_offsets": [4 * i, 4 * i + 4]} for i, k in enumerate(names)}).encode()
open(f"{d}/tiny.safetensors", "wb").write(struct.pack("<Q", len(h)) + h + b"\0" * (4 * len(names)))
PYEOF
# min of a list of numbers
minof() { printf '%s\n' "$@" | sort -g | head -1; }
# Interleaved (without, with, with, without, ...) so that load on a shared
# machine falls on both alike; best of N rounds each, wall and CPU apart.
load0=$(cut -d' ' -f1-3 /proc/loadavg)
N=${BENCH_REMAP_ROUNDS:-7}
T0=() T1=() C0=() C1=()
without() { T0+=("$(best 1 "$CKPT" convert "$B/m.safetensors" -o "$B/o0.safetensors" --quiet)"); C0+=("$(cat "$B/cpu")"); r0=$(cat "$B/rss"); }
with_map() { T1+=("$(best 1 "$CKPT" convert "$B/m.safetensors" -o "$B/o1.safetensors" --quiet --map "$B/map.txt")"); C1+=("$(cat "$B/cpu")"); r1=$(cat "$B/rss"); }
for i in $(seq "$N"); do   # ABBA: neither always runs first (after the other's writeback)
    if [ $((i % 2)) = 1 ]; then without; with_map; else with_map; without; fi
done
# CPU of the tiny conversions in microseconds (time(1) rounds to 10 ms):
# rusage of each child, interleaved, best of 15 each
read -r s0 s1 < <($PY - "$CKPT" "$B" <<'PYEOF'
import os, sys, subprocess
ck, d = sys.argv[1], sys.argv[2]
def cpu(*extra):
    p = subprocess.Popen([ck, "convert", f"{d}/tiny.safetensors", "-o", f"{d}/s{len(extra) // 2}.safetensors", "--quiet", *extra])
    _, st, ru = os.wait4(p.pid, 0)
    if st: sys.exit("ckpt convert failed")
    return ru.ru_utime + ru.ru_stime
runs = [(cpu(), cpu("--map", f"{d}/map.txt")) for _ in range(15)]
print(min(r[0] for r in runs), min(r[1] for r in runs))
PYEOF
)
[ -n "${s1:-}" ] || { echo "FAIL bench_remap: the tiny conversions did not run"; exit 1; }
load1=$(cut -d' ' -f1-3 /proc/loadavg)
for o in o1 s1; do
    "$CKPT" ls "$B/$o.safetensors" | grep -q "blocks.17.attention.q.kernel" || { echo "FAIL bench_remap: map not applied ($o)"; exit 1; }
done
awk -v a="$(minof "${T0[@]}")" -v b="$(minof "${T1[@]}")" -v c0="$(minof "${C0[@]}")" -v c1="$(minof "${C1[@]}")" \
    -v s0="$s0" -v s1="$s1" -v r0="$r0" -v r1="$r1" -v n="$N" -v l0="$load0" -v l1="$load1" 'BEGIN{
  w = (b/a-1)*100; c = (c1/c0-1)*100
  printf "remap 200 rules x 10000 tensors (625 MiB): wall %.2fs vs %.2fs without (%+.1f%%) %s, CPU %.2fs vs %.2fs (%+.1f%%) %s; target < +5%% each; peak RSS %.1f MiB (without: %.1f MiB)\n",
         b, a, w, w < 5 ? "[target met]" : "[target missed]", c1, c0, c, c < 5 ? "[target met]" : "[target missed]", r1/1024, r0/1024
  printf "  the remap work alone (same names, 4-byte tensors): CPU %.3fs vs %.3fs without, %+.0f ms for 200 rules x 10000 names = %+.1f%% of the conversion'"'"'s CPU; the kernel work (10,000 copy_file_range calls, the fsync) is the same with and without\n", s1, s0, (s1-s0)*1000, (s1-s0)/c0*100
  printf "  [wall and CPU: best of %d interleaved rounds; load average %s at start, %s at end]\n", n, l0, l1 }'
rm -f "$B"/o0.safetensors "$B"/o1.safetensors "$B"/s0.safetensors "$B"/s1.safetensors "$B/m.safetensors" "$B/tiny.safetensors"

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
