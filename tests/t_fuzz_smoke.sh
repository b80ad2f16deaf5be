# Every libFuzzer target builds and survives a short run over its seeds, so
# the targets cannot rot between `make fuzz` sessions. (FUZZ_SMOKE_TIME=0 skips.)
source "$(dirname "$0")/lib.sh"
secs=${FUZZ_SMOKE_TIME:-3}
if [ "$secs" = 0 ]; then skip fuzz_smoke "FUZZ_SMOKE_TIME=0"; exit 0; fi
if ! command -v clang >/dev/null; then skip fuzz_smoke "clang missing"; exit 0; fi
if [ -n "${CKPT_ASAN:-}" ]; then skip fuzz_smoke "already covered by the plain run"; exit 0; fi
cd "$ROOT" || exit 1
if make -s fuzz FUZZ_TIME="$secs" >"$T/fuzz.log" 2>&1; then
    for f in tests/fuzz/fuzz_*.c; do
        n=$(basename "$f" .c)
        grep -q "FUZZ    $n" "$T/fuzz.log" && pass "fuzz_$n" || fail "fuzz_$n" "did not run"
    done
else
    fail fuzz_smoke "$(grep -E 'ERROR|error:|SUMMARY|crash' "$T/fuzz.log" | head -5 | tr '\n' ' ')"
    tail -30 "$T/fuzz.log"
fi
