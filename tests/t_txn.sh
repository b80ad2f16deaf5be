# Output commits (src/txn.c): a failed commit leaves the old output whole, a
# cancel during the final fsync commits nothing, the pid-tagged fallback is
# swept by the next run (SIGKILL at random moments: t_kill.sh), and an
# output far larger than its input is refused before writing. Failures are
# injected with an LD_PRELOAD shim (tests/shim/failshim.c). References:
# NumPy (tests/stio.py) for the models, sha256sum/cmp for "intact".
. "$(dirname "$0")/lib.sh"

SHIM=$T/failshim.so
cc -shared -fPIC -o "$SHIM" "$ROOT/tests/shim/failshim.c" -ldl || { fail shim_build "cc failed"; exit 0; }
# an ASan binary wants its runtime first: let the shim come before it
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0

# two models with the same names and shapes, different values
PYTHONPATH=$ROOT/tests $PY - "$T" <<'PY'
import sys, numpy as np, stio
d = sys.argv[1]
for tag, seed in (("a", 1), ("b", 2)):
    r = np.random.default_rng(seed)
    stio.write(f"{d}/{tag}.safetensors", {f"layer.{i}.weight": r.standard_normal(64 * 1024).astype(np.float32) for i in range(6)})
PY

# ---- a failed commit of a sharded output keeps the earlier output whole ---
"$CKPT" convert "$T/a.safetensors" -o "$T/sh/" --shard-size 300KB --quiet || fail shard_old "first conversion failed"
nold=$(ls "$T/sh" | wc -l)
(cd "$T/sh" && sha256sum * > "$T/old.sha")
[ "$nold" -ge 4 ] && pass shard_old_written || fail shard_old_written "only $nold files"
for k in 1 2 $nold; do
    CKPT_SHIM_RENAME_FAIL=$k LD_PRELOAD=$SHIM "$CKPT" convert "$T/b.safetensors" -o "$T/sh/" --shard-size 300KB --quiet 2>"$T/rf.err"
    rc=$?
    [ $rc -eq 3 ] && grep -q 'cannot move output into place' "$T/rf.err" \
        && pass "rename_fail_${k}_exit3" || fail "rename_fail_${k}_exit3" "exit $rc: $(cat "$T/rf.err")"
    (cd "$T/sh" && sha256sum -c --quiet "$T/old.sha") >"$T/sha.out" 2>&1 \
        && pass "rename_fail_${k}_old_intact" || fail "rename_fail_${k}_old_intact" "$(head -3 "$T/sha.out")"
    left=$(ls -A "$T/sh" | grep -c '\.ckpt-')
    [ "$left" -eq 0 ] && [ "$(ls -A "$T/sh" | wc -l)" -eq "$nold" ] && pass "rename_fail_${k}_no_debris" \
        || fail "rename_fail_${k}_no_debris" "$(ls -A "$T/sh" | tr '\n' ' ')"
done
# and without a failure the new output replaces the old one whole
"$CKPT" convert "$T/b.safetensors" -o "$T/sh/" --shard-size 300KB --quiet
PYTHONPATH=$ROOT/tests $PY - "$T/b.safetensors" "$T/sh/model.safetensors.index.json" <<'PY' && pass shard_new_whole || fail shard_new_whole "mismatch"
import sys, json, os, numpy as np, stio
ref = stio.read(sys.argv[1]); idx = json.load(open(sys.argv[2])); d = os.path.dirname(sys.argv[2])
got = {}
for f in set(idx["weight_map"].values()): got.update(stio.read(os.path.join(d, f)))
assert set(got) == set(ref) and all(np.array_equal(got[k], ref[k]) for k in ref)
PY

# ---- Ctrl-C or SIGTERM during the final fsync: nothing committed ----------
for sig in INT TERM; do
    rm -rf "$T/fs"; mkdir -p "$T/fs"
    rm -f "$T/mark"
    CKPT_SHIM_FSYNC_MARK=$T/mark CKPT_SHIM_FSYNC_SLEEP=2 LD_PRELOAD=$SHIM \
        "$CKPT" convert "$T/a.safetensors" -o "$T/fs/x.safetensors" --quiet 2>"$T/fs.err" &
    pid=$!
    for _ in $(seq 1 400); do [ -e "$T/mark" ] && break; sleep 0.025; done
    [ -e "$T/mark" ] || fail "fsync_${sig}_reached" "fsync never called"
    kill -$sig $pid
    wait $pid; rc=$?
    [ $rc -ne 0 ] && grep -q cancelled "$T/fs.err" && pass "fsync_${sig}_cancels" || fail "fsync_${sig}_cancels" "exit $rc: $(cat "$T/fs.err")"
    [ -z "$(ls -A "$T/fs")" ] && pass "fsync_${sig}_nothing_committed" || fail "fsync_${sig}_nothing_committed" "$(ls -A "$T/fs")"
done

# ---- SIGKILL at random moments: tests/t_kill.sh (50 runs, a 1 GiB model) -
# a 48 MiB model for the fallback below
PYTHONPATH=$ROOT/tests $PY - "$T/big.safetensors" <<'PY'
import sys, numpy as np, stio
r = np.random.default_rng(7)
stio.write(sys.argv[1], {f"block.{i}.w": r.standard_normal(1 << 20).astype(np.float32) for i in range(12)})
PY

# ---- no O_TMPFILE: pid-tagged names, swept by the next run, which says so -
rm -rf "$T/nt"; mkdir -p "$T/nt"
CKPT_NO_TMPFILE=1 "$CKPT" convert "$T/big.safetensors" -o "$T/nt/m.safetensors" --quiet 2>/dev/null &
pid=$!
for _ in $(seq 1 400); do ls -A "$T/nt" | grep -q "\.ckpt-$pid-" && break; sleep 0.01; done
kill -9 $pid; wait $pid 2>/dev/null
left=$(ls -A "$T/nt" | grep -c "^\.m\.safetensors\.ckpt-$pid-......$")
[ "$left" -eq 1 ] && pass fallback_name_has_pid || fail fallback_name_has_pid "$(ls -A "$T/nt")"
CKPT_NO_TMPFILE=1 "$CKPT" convert "$T/a.safetensors" -o "$T/nt/other.safetensors" --quiet 2>"$T/nt.err"
grep -q 'removed 1 temporary file left by killed conversions' "$T/nt.err" && [ "$(ls -A "$T/nt")" = other.safetensors ] \
    && pass fallback_swept_and_said || fail fallback_swept_and_said "$(cat "$T/nt.err"; ls -A "$T/nt")"
# a live owner's temporary is left alone
sleep 30 & live=$!
: > "$T/nt/.x.safetensors.ckpt-$live-abcdef"
"$CKPT" convert "$T/a.safetensors" -o "$T/nt/other.safetensors" --quiet 2>/dev/null
[ -e "$T/nt/.x.safetensors.ckpt-$live-abcdef" ] && pass fallback_live_kept || fail fallback_live_kept "removed"
kill $live; wait $live 2>/dev/null

# ---- tiny inputs that expand: --max-output-ratio --------------------------
$PY - "$T/fill.weights.h5" "$T/fill64.weights.h5" <<'PY'
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "w") as f:   # 256 GiB of fill values, no chunk written
    f.create_dataset("layers/dense/vars/0", shape=(1 << 18, 1 << 18), dtype="f4", chunks=(256, 256), fillvalue=0.5)
with h5py.File(sys.argv[2], "w") as f:   # 64 MiB of fill values
    f.create_dataset("layers/dense/vars/0", shape=(4096, 4096), dtype="f4", chunks=(256, 256), fillvalue=0.5)
PY
expect_exit 3 ratio_refused "$CKPT" convert "$T/fill.weights.h5" -o "$T/fill.safetensors"
grep -q '274877906944 bytes' "$T/err" && grep -q 'max-output-ratio' "$T/err" && pass ratio_says_size || fail ratio_says_size "$(cat "$T/err")"
[ ! -e "$T/fill.safetensors" ] && pass ratio_wrote_nothing || fail ratio_wrote_nothing "output exists"
expect_exit 3 ratio_refused_64m "$CKPT" convert "$T/fill64.weights.h5" -o "$T/f64.safetensors"
expect_exit 0 ratio_raised "$CKPT" convert "$T/fill64.weights.h5" -o "$T/f64.safetensors" --max-output-ratio 0
PYTHONPATH=$ROOT/tests $PY - "$T/fill64.weights.h5" "$T/f64.safetensors" <<'PY' && pass ratio_raised_data || fail ratio_raised_data "differs from h5py"
import sys, h5py, numpy as np, stio
ref = h5py.File(sys.argv[1])["layers/dense/vars/0"][()]
got = stio.read(sys.argv[2])
assert any(np.array_equal(v, ref) for v in got.values()), got.keys()
PY
expect_exit 2 ratio_bad_value "$CKPT" convert "$T/a.safetensors" -o "$T/r.safetensors" --max-output-ratio lots
# a stride-0 PyTorch view: one float stored, 16 GiB described
$PY - "$T/view.pt" <<'PY'
import sys, torch
torch.save({"w": torch.zeros(1).expand(1 << 32)}, sys.argv[1])
PY
"$CKPT" convert "$T/view.pt" -o "$T/view.safetensors" 2>"$T/err"; rc=$?
[ $rc -eq 3 ] && [ ! -e "$T/view.safetensors" ] && pass stride0_view_refused || fail stride0_view_refused "exit $rc: $(cat "$T/err")"

# ---- non-regular inputs are refused at once -------------------------------
mkfifo "$T/fifo"
expect_exit 3 fifo_refused timeout 5 "$CKPT" info "$T/fifo"
grep -q 'FIFO' "$T/err" && pass fifo_named || fail fifo_named "$(cat "$T/err")"
expect_exit 3 fifo_convert_refused timeout 5 "$CKPT" convert "$T/fifo" -o "$T/fifo.safetensors"
expect_exit 3 chardev_refused timeout 5 "$CKPT" info /dev/zero
exit 0
