# Keras writers after a write error (issue 18): disk full (ENOSPC) or EIO,
# injected by an LD_PRELOAD shim (tests/shim/failshim.c) at several points of
# the output, give exit 3 and one line naming the output, never a crash in
# libhdf5's exit handler (exit 139), and leave nothing in the output folder.
. "$(dirname "$0")/lib.sh"

SHIM=$T/failshim.so
cc -shared -fPIC -o "$SHIM" "$ROOT/tests/shim/failshim.c" -ldl || { fail shim_build "cc failed"; exit 0; }
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0

# a legacy Keras 2 model with its config (tests/kgen.py), a few hundred KB
PYTHONPATH=$ROOT/tests $PY - "$T/m.h5" <<'PY'
import sys, kgen
layers = [kgen.dense("d%d" % i, 128, 128 if i == 0 else None) for i in range(6)]
kgen.write(sys.argv[1], kgen.seq(*layers), [["d%d" % i, [["kernel", [128, 128]], ["bias", [128]]]] for i in range(6)])
PY
inputs="$T/m.h5"
[ -d "$FIX" ] && inputs="$inputs $FIX/keras2_h5/fc-tiny_XCEPTION_KDEF/tiny_XCEPTION_KDEF.hdf5"
n=0
for in in $inputs; do
    n=$((n + 1))
    for to in keras keras-weights; do
        ext=keras; [ $to = keras-weights ] && ext=weights.h5
        rm -rf "$T/ok"; mkdir -p "$T/ok"
        "$CKPT" convert "$in" -o "$T/ok/x.$ext" --quiet || { fail "m${n}_${to}_baseline" "clean conversion failed"; continue; }
        size=$(stat -c %s "$T/ok/x.$ext")
        for lim in 0 4096 $((size / 3)) $((size * 2 / 3)); do
            for e in 28 5; do
                name="m${n}_${to}_at${lim}_errno$e"
                rm -rf "$T/o"; mkdir -p "$T/o"
                CKPT_SHIM_WRITE_LIMIT=$lim CKPT_SHIM_WRITE_ERRNO=$e LD_PRELOAD=$SHIM \
                    "$CKPT" convert "$in" -o "$T/o/x.$ext" --quiet >"$T/out" 2>"$T/err"
                rc=$?
                msg=$( [ $e = 28 ] && echo 'No space left on device' || echo 'Input/output error')
                if [ $rc -eq 3 ] && [ "$(wc -l < "$T/err")" -eq 1 ] && grep -q "x.$ext" "$T/err" && grep -q "$msg" "$T/err"; then
                    pass "${name}_exit3"
                else
                    fail "${name}_exit3" "exit $rc: $(head -c 300 "$T/err")"
                fi
                [ -z "$(ls -A "$T/o")" ] && pass "${name}_nothing_left" || fail "${name}_nothing_left" "$(ls -A "$T/o")"
            done
        done
    done
done
exit 0
