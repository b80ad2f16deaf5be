# Damaged .h5 files (issue 18): the regression inputs of tests/data/h5_damaged.tsv
# (real fixtures with one byte overwritten) must be refused with one clean
# line (exit 3) within bounded time and memory: `ls`, `info` and `convert`
# run under a 2 GiB address-space limit and a 60 s timeout. Those that crash
# libhdf5 itself are fenced by the sandboxed open (src/sandbox.c, issue 13):
# a crash of ckpt, a hang, a memory blowup or a wrong exit code fails.
. "$(dirname "$0")/lib.sh"
need_shared h5_damaged || exit 0
n=0
while IFS=$'\t' read -r fix off byte what; do
    case $fix in ''|'#'*) continue;; esac
    n=$((n + 1))
    f=$T/d$n.h5
    cp "$FIX/$fix" "$f" && chmod u+w "$f"
    printf "\\$(printf %03o "$byte")" | dd of="$f" bs=1 seek="$off" conv=notrunc status=none
    cmp -s "$f" "$FIX/$fix" && { fail "damaged_$n" "mutation not applied"; continue; }
    for cmd in ls info convert; do
        args=("$cmd" "$f"); [ $cmd = convert ] && args+=(-o "$T/o$n.safetensors")
        # ASan reserves terabytes of address space: no -v limit under make asan
        { ( [ -z "${CKPT_ASAN:-}" ] && ulimit -v 2097152; exec timeout -k 5 60 "$CKPT" "${args[@]}" ) >"$T/out" 2>"$T/err"; rc=$?; } 2>/dev/null
        name="damaged_${n}_$cmd"
        if [ $rc -eq 3 ] && [ "$(wc -l < "$T/err")" -eq 1 ] && grep -q "^ckpt: $f" "$T/err"; then pass "$name"
        elif [ $rc -eq 0 ] && [ $cmd != convert ]; then pass "$name"   # a byte libhdf5 tolerates
        elif [ $rc -eq 124 ] || [ $rc -eq 137 ]; then fail "$name" "no answer in 60 s ($what)"
        elif [ $rc -gt 128 ] || grep -q 'ERROR: AddressSanitizer\|AddressSanitizer:DEADLYSIGNAL' "$T/err"; then
            # (under make asan a crash is ASan's report and exit 1)
            how=$([ $rc -gt 128 ] && echo "signal $((rc - 128))" || echo "ASan report")
            fail "$name" "ckpt crashed ($how: $what): the sandboxed open did not fence libhdf5"
        else fail "$name" "exit $rc: $(head -c 300 "$T/err")"; fi
        [ ! -e "$T/o$n.safetensors" ] || [ $rc -eq 0 ] || fail "${name}_no_output" "output left"
    done
done < "$ROOT/tests/data/h5_damaged.tsv"
[ $n -gt 0 ] && pass damaged_inputs_read || fail damaged_inputs_read "no case"
exit 0
