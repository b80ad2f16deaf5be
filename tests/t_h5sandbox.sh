#!/bin/bash
# libhdf5 fenced off: hostile .h5 files that crash or spin libhdf5 1.10
# (found by mutating small h5py-made files, and by the fuzz_h5_raw libFuzzer
# target from tests/fuzz/seeds/fuzz_h5_raw/legacy.h5; kept in
# tests/data/h5-hostile/: SIGSEGV in H5HG_read via H5T__conv_vlen, a memcpy
# past a global heap object, a memcpy of ~2^63 bytes (fuzz-*), a CPU spin) are opened first in the confined child
# (src/sandbox.c): ls and convert give one line and exit 3, bounded in time,
# and the TUI that opens one stays alive. The child cannot create, open for
# writing or link files outside its private folder, open sockets or exec.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tui_lib.sh"
H=$ROOT/tests/data/h5-hostile
export CKPT_SANDBOX_CPU=3 CKPT_SANDBOX_TIMEOUT=10
for f in "$H"/*.h5; do
    n=$(basename "$f" .h5)
    # the input really is hostile: without the sandbox the process dies or spins
    { ( ulimit -t 5; CKPT_SANDBOX=off exec timeout -s KILL 8 "$CKPT" ls "$f" ) >/dev/null 2>&1; } 2>/dev/null
    rc=$?
    if [ $rc -ge 128 ] || [ $rc = 124 ] || { [ -n "${CKPT_ASAN:-}" ] && [ $rc != 0 ] && [ $rc != 3 ]; }; then pass "unconfined_${n}_dies"
    else fail "unconfined_${n}_dies" "exit $rc without the sandbox: not a hostile input any more?"; fi
    for cmd in ls convert; do
        args=("$f"); [ $cmd = convert ] && args=("$f" -o "$T/$n.safetensors")
        t0=$SECONDS
        timeout 20 "$CKPT" $cmd "${args[@]}" >"$T/out" 2>"$T/err"
        rc=$?
        lines=$(wc -l <"$T/err")
        if [ $rc = 3 ] && [ "$lines" = 1 ] && grep -q 'libhdf5 .*damaged or hostile HDF5' "$T/err" && [ $((SECONDS - t0)) -le 12 ]; then
            pass "sandboxed_${cmd}_${n}"
        else fail "sandboxed_${cmd}_${n}" "exit $rc in $((SECONDS - t0)) s: $(head -c 300 "$T/err")"; fi
    done
    [ ! -e "$T/$n.safetensors" ] && pass "no_output_${n}" || fail "no_output_${n}" "output written"
done
# no private folder left behind, even by a killed child
export TMPDIR=$T/tmp; mkdir -p "$TMPDIR"
"$CKPT" ls "$H/segv-h5hg-read.h5" >/dev/null 2>&1
[ -z "$(ls -A "$TMPDIR")" ] && pass sandbox_tmp_removed || fail sandbox_tmp_removed "$(ls -A "$TMPDIR")"
# what a taken-over child may do
mkdir -p "$T/victim"
CKPT_SANDBOX_SELFTEST=$T/victim "$CKPT" ls "$ROOT/tests/fuzz/seeds/fuzz_h5_raw/legacy.h5" >/dev/null 2>"$T/self.err"
for what in create open-rw socket link-out exec; do
    grep -q "$what=refused" "$T/self.err" && pass "child_${what}_refused" || fail "child_${what}_refused" "$(cat "$T/self.err")"
done
[ -z "$(ls -A "$T/victim")" ] && pass child_wrote_nothing || fail child_wrote_nothing "$(ls "$T/victim")"
# good files still open (and .keras, whose member is copied to the private folder)
"$PY" -c "
import h5py, numpy as np
with h5py.File('$T/ok.weights.h5', 'w') as f:
    f.create_dataset('layers/dense/vars/0', data=np.arange(6, dtype=np.float32).reshape(3, 2), chunks=(1, 2), compression='gzip')
    f.create_dataset('layers/dense/vars/1', data=np.ones(2, np.float32))
"
"$CKPT" convert "$T/ok.weights.h5" -o "$T/ok.safetensors" >/dev/null 2>"$T/ok.err"
check chunked_good_file_converts "$PY" -c "
import sys; sys.path.insert(0, '$ROOT/tests'); import stio, numpy as np
t = stio.read('$T/ok.safetensors')
assert np.array_equal(list(t.values())[0], np.arange(6, dtype=np.float32).reshape(3, 2)), t
"
# the TUI opening a hostile file shows the error and keeps running
cp "$H/segv-h5hg-read.h5" "$T/hostile.h5"
tui_start CKPT_SANDBOX_CPU=3 -- hostile.h5
if tui_wait "damaged or hostile HDF5" 15; then
    if grep -q 'EXIT:' "$T/screen"; then fail tui_survives "the TUI exited"; else pass tui_survives; fi
else fail tui_survives "no error shown: $(tr -s ' ' <"$T/screen" | head -c 400)"; fi
tui_stop
