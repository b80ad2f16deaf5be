# convert --batch: 20 jobs (text and JSON lines), 3 failing (two missing
# inputs, one cut short) are reported, exactly those; after fixing them a
# re-run converts only them and leaves the 17 verified outputs untouched;
# --part 1/2 + 2/2 run every job exactly once. Outputs checked by NumPy.
source "$(dirname "$0")/lib.sh"
mkdir -p "$T/in" "$T/res"
$PY - "$T/in" <<'PY'
import json, struct, sys
import numpy as np
d = sys.argv[1]
def st(path, arrs):
    hdr, off, data = {}, 0, b""
    for k, a in arrs.items():
        b = a.astype("<f4").tobytes()
        hdr[k] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        off += len(b); data += b
    h = json.dumps(hdr).encode(); h += b" " * (-len(h) % 8)
    open(path, "wb").write(struct.pack("<Q", len(h)) + h + data)
for i in range(20):
    if i in (4, 11):
        continue            # missing inputs
    rng = np.random.default_rng(i)
    st("%s/m%02d.safetensors" % (d, i), {"w": rng.standard_normal((3, 5)), "b": rng.standard_normal(7)})
b = open("%s/m15.safetensors" % d, "rb").read()
open("%s/m15.safetensors" % d, "wb").write(b[:len(b) - 9])   # cut short
PY
{
    echo "# a comment, then 20 jobs"
    for i in $(seq -w 0 19); do
        if [ $((10#$i % 2)) = 0 ]; then echo "$T/in/m$i.safetensors -o '$T/res/o$i.safetensors'"
        else echo "{\"input\": \"$T/in/m$i.safetensors\", \"output\": \"$T/res/o$i.safetensors\", \"dtype\": \"F16\"}"; fi
    done
} >"$T/batch.txt"

expect_exit 3 batch_failures_exit_3 "$CKPT" convert --batch "$T/batch.txt" --jobs 3
failed=$(awk '$2 == "FAILED" {print $3}' "$T/out" | sort | tr '\n' ' ')
[ "$failed" = "$T/res/o04.safetensors $T/res/o11.safetensors $T/res/o15.safetensors " ] && pass batch_reports_exactly_the_3 \
    || fail batch_reports_exactly_the_3 "failed: $failed; $(tail -3 "$T/out")"
grep -q "batch: 20 jobs: 17 converted, 0 skipped (exist and verify), 3 failed" "$T/out" && pass batch_summary_counts \
    || fail batch_summary_counts "$(tail -1 "$T/out")"
grep -q "m15.safetensors" "$T/out" && grep "o15" "$T/out" | grep -qi "byte\|short\|truncat\|size" && pass batch_failure_says_why \
    || fail batch_failure_says_why "$(grep o15 "$T/out")"
ls "$T/res" | grep -v '^o..\.safetensors$' && fail batch_no_partial_files "$(ls -A "$T/res")" || pass batch_no_partial_files

stat -c '%n %i %Y' "$T"/res/*.safetensors | sort >"$T/before"
# fix the three and re-run: only they are converted
$PY - "$T/in" <<'PY'
import shutil, sys
d = sys.argv[1]
for i in (4, 11, 15):
    shutil.copy("%s/m%02d.safetensors" % (d, i - 1), "%s/m%02d.safetensors" % (d, i))
PY
expect_exit 0 batch_rerun_ok "$CKPT" convert --batch "$T/batch.txt" --jobs 4
conv=$(awk '$2 == "converted" {print $3}' "$T/out" | sort | tr '\n' ' ')
[ "$conv" = "$T/res/o04.safetensors $T/res/o11.safetensors $T/res/o15.safetensors " ] && pass batch_rerun_does_only_the_failed \
    || fail batch_rerun_does_only_the_failed "converted: $conv"
[ "$(awk '$2 == "skipped"' "$T/out" | wc -l)" = 17 ] && pass batch_rerun_skips_17 || fail batch_rerun_skips_17 "$(tail -1 "$T/out")"
stat -c '%n %i %Y' "$T"/res/*.safetensors | sort | grep -v -e o04 -e o11 -e o15 >"$T/after"
grep -v -e o04 -e o11 -e o15 "$T/before" | diff - "$T/after" >/dev/null && pass batch_rerun_leaves_verified_untouched \
    || fail batch_rerun_leaves_verified_untouched "$(diff "$T/before" "$T/after" | head -3)"
$PY - "$T/in" "$T/res" <<'PY' && pass batch_values_match_numpy || fail batch_values_match_numpy
import json, struct, sys
import numpy as np
d, o = sys.argv[1:3]
src = {4: 3, 11: 10, 15: 14}
for i in range(20):
    b = open("%s/o%02d.safetensors" % (o, i), "rb").read()
    hl = struct.unpack("<Q", b[:8])[0]
    hd = json.loads(b[8:8 + hl]); hd.pop("__metadata__", None)
    rng = np.random.default_rng(src.get(i, i))
    want = {"w": rng.standard_normal((3, 5)), "b": rng.standard_normal(7)}
    dt = "<f2" if i % 2 else "<f4"
    assert set(hd) == set(want)
    for k, v in hd.items():
        s, e = v["data_offsets"]
        got = np.frombuffer(b[8 + hl + s:8 + hl + e], dtype=dt).reshape(v["shape"])
        assert np.array_equal(got, want[k].astype("<f4").astype(dt)), (i, k)
PY
# an output that exists but does not verify is converted again
$PY -c "import sys; p=sys.argv[1]; b=bytearray(open(p,'rb').read()); b[-3]^=0xff; open(p,'wb').write(b)" "$T/res/o07.safetensors"
expect_exit 0 batch_rerun_tampered "$CKPT" convert --batch "$T/batch.txt" --jobs 2
[ "$(awk '$2 == "converted" {print $3}' "$T/out")" = "$T/res/o07.safetensors" ] && pass batch_redoes_output_that_does_not_verify \
    || fail batch_redoes_output_that_does_not_verify "$(awk '$2 == "converted"' "$T/out")"

# --part: two slices together convert every job once
rm -rf "$T/res"; mkdir -p "$T/res"
"$CKPT" convert --batch "$T/batch.txt" --part 1/2 --jobs 2 >"$T/p1" 2>/dev/null
"$CKPT" convert --batch "$T/batch.txt" --part 2/2 --jobs 2 >"$T/p2" 2>/dev/null
all=$(cat "$T/p1" "$T/p2" | awk '$2 == "converted" {print $3}' | sort)
[ "$(echo "$all" | wc -l)" = 20 ] && [ "$(echo "$all" | sort -u | wc -l)" = 20 ] && [ "$(ls "$T/res" | wc -l)" = 20 ] \
    && pass batch_parts_cover_every_job_once || fail batch_parts_cover_every_job_once "$(echo $all | head -c 300)"
[ "$(awk '$2 == "converted"' "$T/p1" | wc -l)" = 10 ] && pass batch_part_is_interleaved_half || fail batch_part_is_interleaved_half "$(cat "$T/p1")"

# manifest errors name the line
printf 'a.safetensors -o\n' >"$T/bad.txt"
expect_exit 2 batch_bad_line_usage "$CKPT" convert --batch "$T/bad.txt"
grep -q "bad.txt:1:" "$T/err" && pass batch_bad_line_named || fail batch_bad_line_named "$(cat "$T/err")"
expect_exit 2 batch_bad_part "$CKPT" convert --batch "$T/batch.txt" --part 3/2

# on a terminal (tmux, 80x24): the progress display ends with the total line, then the table
if command -v tmux >/dev/null; then
    rm -rf "$T/res"; mkdir -p "$T/res"
    tmux -f /dev/null -L ckpt-batch-$$ new-session -d -x 80 -y 24 \
        "cd $(printf '%q' "$T") && $(printf '%q' "$CKPT") convert --batch batch.txt --jobs 3 >table.txt; echo EXIT:\$? >done.txt; sleep 30"
    for _ in $(seq 300); do [ -s "$T/done.txt" ] && break; sleep 0.1; done
    tmux -L ckpt-batch-$$ capture-pane -p -t 0 >"$T/screen" 2>/dev/null
    tmux -L ckpt-batch-$$ kill-server 2>/dev/null
    grep -q "batch: 20/20 done (20 converted, 0 skipped, 0 failed), 0 running" "$T/screen" && grep -q EXIT:0 "$T/done.txt" \
        && [ "$(grep -c converted "$T/table.txt")" = 21 ] && pass batch_tty_progress_total \
        || fail batch_tty_progress_total "$(grep -v '^$' "$T/screen" | tail -3 | tr '\n' '|')"
else skip batch_tty_progress_total "tmux missing"; fi
