# Damaged checkpoints, as a broken download leaves them: every real fixture
# truncated at many offsets, with header bytes overwritten, zip central
# directories and members broken, shards cut short or missing
# (tests/corruptgen.py makes them from the format definitions).  For each,
# `ckpt ls`, `ckpt info` and `ckpt convert` must:
#   exit 0 or 3 (never a signal, a timeout, 1 or 2);
#   on exit 3 print exactly one line on stderr, "ckpt: ...", naming the damaged file,
#   and for a cut, missing or CRC-failing file say so (or where: byte, tensor);
#   after a failed convert leave nothing at the output path, no temp file beside it;
#   on a truncated file, a missing shard or a zip member whose CRC no longer
#   matches, fail in convert (exit 3) even when ls read the header, then
#   naming the tensor or the offset.
# Two workers share the ~1300 runs; PASS lines carry the counts per fixture.
# Under make asan (CKPT_ASAN=1) `info` is skipped where `ls` already failed:
# both stop in the same open, and the sanitized runs are 4x slower.
source "$(dirname "$0")/lib.sh"
need_shared corrupt || exit 0
D=$T/d
mkdir -p "$D"
"$PY" "$ROOT/tests/corruptgen.py" "$FIX" "$D" >"$T/manifest" || { fail corrupt_gen "corruptgen.py failed"; exit 0; }
shopt -s nullglob dotglob

# worker K: every second manifest line from K; one result line per run:
#   group TAB case_cmd TAB kind TAB "" (ok) or why (bad)
worker() {
    local k=$1 n=0 g c kind in dam cmd rc e lsrc why left
    local O=$T/o$k E=$T/err$k
    while IFS=$'\t' read -r g c kind in dam; do
        n=$((n + 1)); [ $((n % 2)) -eq "$k" ] || continue
        lsrc=
        for cmd in ls info convert; do
            [ $cmd = info ] && [ "${CKPT_ASAN:-}" = 1 ] && [ "$lsrc" = 3 ] && continue
            left=("$O"/*); [ ${#left[@]} -eq 0 ] || rm -rf "$O"; mkdir -p "$O"
            if [ $cmd = convert ]; then
                timeout -k 2 20 "$CKPT" convert "$in" -o "$O/out.safetensors" --quiet </dev/null >/dev/null 2>"$E"
            else
                timeout -k 2 20 "$CKPT" $cmd "$in" </dev/null >/dev/null 2>"$E"
            fi
            rc=$?
            [ $cmd = ls ] && lsrc=$rc
            IFS= read -r -d '' e <"$E"
            why=
            if [ $rc -ne 0 ] && [ $rc -ne 3 ]; then
                why="exit $rc$([ $rc -eq 124 ] && echo ' (timeout)')"
            elif [ $rc -eq 3 ]; then
                if [[ "$e" != *$'\n' || "${e%$'\n'}" == *$'\n'* ]]; then why="stderr not one line"
                elif [[ "$e" != "ckpt: "* ]]; then why="stderr does not start with 'ckpt: '"
                elif [[ "$e" != *"$dam"* ]]; then why="stderr does not name $dam"
                elif [ "$kind" != flip ] &&
                     ! [[ "${e,,}" =~ truncat|at\ byte|tensor\ \'|offset|missing|no\ such\ file|crc|damaged|empty\ file|too\ small ]]; then
                    why="$kind file: the error says neither that it is cut short nor where"
                fi
            fi
            if [ -z "$why" ] && [ $cmd = convert ]; then
                left=("$O"/*)
                if [ $rc -ne 0 ] && [ ${#left[@]} -gt 0 ]; then why="failed convert left ${left[*]##*/}"
                elif [ "$kind" != flip ] && [ $rc -ne 3 ]; then why="$kind input converted (exit $rc)"
                elif [ "$kind" != flip ] && [ "$lsrc" = 0 ] &&
                     ! [[ "$e" =~ offset|byte|tensor\ \' ]]; then
                    why="ls read it but convert's error names no tensor or offset"
                fi
            elif [ -z "$why" ] && [ "$kind" = del ] && [ $rc -ne 3 ]; then
                why="missing file: exit $rc"
            fi
            [ -n "$why" ] && why="$why; stderr: ${e:0:300}"
            printf '%s\t%s\t%s\t%s\n' "$g" "${c}_$cmd" "$kind" "${why//$'\n'/|}"
        done
    done <"$T/manifest"
}
worker 0 >"$T/res0" & w0=$!
worker 1 >"$T/res1"
wait $w0

# per fixture: PASS with the counts, or the first failures (15 at most)
cut -f1 "$T/manifest" | uniq | while read -r g; do
    awk -F'\t' -v g="$g" '$1 == g' "$T/res0" "$T/res1" >"$T/g"
    nbad=$(awk -F'\t' '$4 != ""' "$T/g" | wc -l)
    if [ "$nbad" -eq 0 ]; then
        k=$(awk -F'\t' -v g="$g" '$1 == g {print $3}' "$T/manifest" | sort | uniq -c | awk '{printf "_%s%s", $2, $1}')
        pass "corrupt_${g}_$(awk -F'\t' -v g="$g" '$1 == g' "$T/manifest" | wc -l)files$k"_$(wc -l <"$T/g")runs
    else
        awk -F'\t' '$4 != "" {print "FAIL corrupt_" $1 "_" $2 ": " $4}' "$T/g" | head -n 15
        [ "$nbad" -gt 15 ] && fail "corrupt_$g" "$((nbad - 15)) more failures not shown (of $(wc -l <"$T/g") runs)"
    fi
done
