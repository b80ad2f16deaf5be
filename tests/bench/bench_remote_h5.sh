# `ckpt ls` of a remote 2 GiB Keras .h5 (generated: 16 kernels of 128 MiB,
# storage allocated but never written, so the file is sparse and made in a
# second) read by HTTP ranges through the libhdf5 driver, against a full
# download of the same file from the same fake Hub on 127.0.0.1 (`curl -L`
# to /dev/null: what `ls` had to fetch before, at the fastest). Bytes moved
# from the Hub's request log; wall time.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CKPT=${CKPT:-$ROOT/ckpt}
W=$(mktemp -d /tmp/ckpt-bench-rh5.XXXXXX)
HUB_PID=
trap '[ -n "$HUB_PID" ] && kill $HUB_PID 2>/dev/null; rm -rf "$W"' EXIT
big=$W/big.h5
/usr/bin/python3 - "$big" <<'PY' || exit 1
import sys
import h5py, numpy as np
with h5py.File(sys.argv[1], "w") as f:
    names = [f"dense_{i}" for i in range(16)]
    f.attrs["layer_names"] = np.array([n.encode() for n in names])
    f.attrs["keras_version"] = b"2.15.0"
    f.attrs["backend"] = b"tensorflow"
    for n in names:
        g = f.create_group(n)
        g.attrs["weight_names"] = np.array([f"{n}/kernel:0".encode(), f"{n}/bias:0".encode()])
        for w, shape in (("kernel:0", (8192, 4096)), ("bias:0", (4096,))):
            dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
            dcpl.set_alloc_time(h5py.h5d.ALLOC_TIME_EARLY)
            dcpl.set_fill_time(h5py.h5d.FILL_TIME_NEVER)
            sp = h5py.h5s.create_simple(shape)
            g.create_group(n) if n not in g else None
            h5py.h5d.create(g[n].id, w.encode(), h5py.h5t.IEEE_F32LE, sp, dcpl=dcpl)
PY
/usr/bin/python3 "$ROOT/tests/fakehub.py" --big "$big" --big-name big.h5 --log "$W/log" >"$W/ports" 2>"$W/hub.err" &
HUB_PID=$!
for _ in $(seq 600); do grep -q HUB_PORT "$W/ports" 2>/dev/null && break; sleep 0.1; done
eval "$(cat "$W/ports")"
[ -n "${HUB_PORT:-}" ] || { echo "bench_remote_h5: fake hub did not start: $(cat "$W/hub.err")"; exit 1; }
export HF_ENDPOINT=http://127.0.0.1:$HUB_PORT HF_HOME=$W/hf
moved() { /usr/bin/python3 -c "import json,sys; print(sum(json.loads(l)['bytes'] for l in open(sys.argv[1]) if 'big.h5' in l))" "$W/log"; }
timed() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null || return 1; t1=$(date +%s.%N); echo "$t1 - $t0" | bc -l; }
: >"$W/log"
ls_s=$(timed "$CKPT" ls hf://org/big) || { echo "bench_remote_h5: ckpt ls failed"; exit 1; }
ls_b=$(moved)
n=$("$CKPT" ls hf://org/big --json | /usr/bin/python3 -c "import json,sys; print(len(json.load(sys.stdin)['tensors']))")
: >"$W/log"
pull_s=$(timed curl -sfL -o /dev/null "$HF_ENDPOINT/org/big/resolve/main/big.h5") || { echo "bench_remote_h5: curl failed"; exit 1; }
pull_b=$(moved)
size=$(stat -c %s "$big")
/usr/bin/python3 -c "
ls_s, ls_b, pull_s, pull_b, size, n = $ls_s, $ls_b, $pull_s, $pull_b, $size, $n
print(f'remote ls of a {size / 2**30:.1f} GiB .h5 ({n} tensors): {ls_b / 1024:.0f} KiB moved in {ls_s:.2f}s, '
      f'vs full download {pull_b / 2**20:.0f} MiB in {pull_s:.2f}s: {pull_b / max(ls_b, 1):.0f}x fewer bytes, {pull_s / ls_s:.1f}x faster')"
