# Shards symlinked out of the model's folder (issue 18): a TF.js or
# safetensors shard that resolves outside the folder is refused, and no byte
# of its target reaches any output or message. Links inside the folder, and
# the Hugging Face cache layout (snapshots/REV/* -> ../../blobs/*), still
# open. Models are written with NumPy (tests/stio.py, tests/tfjsgen.py).
. "$(dirname "$0")/lib.sh"

PYTHONPATH=$ROOT/tests $PY - "$T/a.safetensors" <<'PY'
import sys, numpy as np, stio
r = np.random.default_rng(5)
stio.write(sys.argv[1], {f"layer.{i}.weight": r.standard_normal(4096).astype(np.float32) for i in range(6)})
PY
"$CKPT" convert "$T/a.safetensors" -o "$T/st/" --shard-size 40KB --quiet || fail st_shards "conversion failed"
ls "$T/st"/model-00002-of-*.safetensors >/dev/null 2>&1 || fail st_shards "no second shard"
s2=$(ls "$T/st"/model-00002-of-*.safetensors)
PASSWD_HEAD=$(head -c 12 /etc/passwd)

# no_leak NAME FILES...: neither /etc/passwd's first bytes nor the outside marker
no_leak() {
    local n=$1; shift
    if grep -q -a -r -e "$PASSWD_HEAD" -e OUTSIDEMARK "$@" 2>/dev/null; then fail "$n" "outside bytes leaked"; else pass "$n"; fi
}

# a shard symlinked to /etc/passwd, and one to a valid shard outside the folder
mkdir -p "$T/elsewhere"
cp "$s2" "$T/elsewhere/real.safetensors"
mv "$s2" "$T/s2.orig"
for target in /etc/passwd "$T/elsewhere/real.safetensors"; do
    tag=$(basename "$target" | tr -c 'a-z0-9\n' _)
    ln -sfn "$target" "$s2"
    expect_exit 3 "st_${tag}_ls_refused" "$CKPT" ls "$T/st"
    grep -q "outside the model's folder" "$T/err" && grep -q "$(basename "$s2")" "$T/err" \
        && pass "st_${tag}_names_shard" || fail "st_${tag}_names_shard" "$(cat "$T/err")"
    expect_exit 3 "st_${tag}_index_refused" "$CKPT" ls "$T/st/model.safetensors.index.json"
    rm -rf "$T/o"; mkdir -p "$T/o"
    expect_exit 3 "st_${tag}_convert_refused" "$CKPT" convert "$T/st" -o "$T/o/x.safetensors"
    [ -z "$(ls -A "$T/o")" ] && pass "st_${tag}_no_output" || fail "st_${tag}_no_output" "$(ls -A "$T/o")"
    no_leak "st_${tag}_no_leak" "$T/out" "$T/err" "$T/o"
done
# a folder without an index: every *.safetensors is a shard, links checked alike
mkdir -p "$T/flat"
cp "$T/a.safetensors" "$T/flat/a.safetensors"
ln -s /etc/passwd "$T/flat/b.safetensors"
expect_exit 3 st_flat_refused "$CKPT" ls "$T/flat"
no_leak st_flat_no_leak "$T/out" "$T/err"
# a link inside the folder is fine
mkdir -p "$T/st/sub"
mv "$T/s2.orig" "$T/st/sub/real.safetensors"
ln -sfn "sub/real.safetensors" "$s2"
expect_exit 0 st_inside_link_ok "$CKPT" ls "$T/st"
# the Hugging Face cache layout: snapshot symlinks into the repo's blobs/
repo=$T/hub/models--org--m
mkdir -p "$repo/blobs" "$repo/snapshots/0123abcd"
for f in "$T/st"/*.safetensors "$T/st/model.safetensors.index.json"; do
    b=$(sha256sum "$f" | cut -c1-40)
    cp -L "$f" "$repo/blobs/$b"
    ln -s "../../blobs/$b" "$repo/snapshots/0123abcd/$(basename "$f")"
done
expect_exit 0 st_hf_cache_layout_ok "$CKPT" ls "$repo/snapshots/0123abcd"
PYTHONPATH=$ROOT/tests $PY - "$T/a.safetensors" "$T/out" <<'PY' && pass st_hf_cache_lists_all || fail st_hf_cache_lists_all "names differ"
import sys, stio
names = set(stio.read(sys.argv[1]))
out = open(sys.argv[2]).read()
assert all(n in out for n in names), out
PY

# ---- TF.js -----------------------------------------------------------------
$PY "$ROOT/tests/tfjsgen.py" "$T/tj" values || fail tfjs_gen "tfjsgen failed"
sh1=$(ls "$T/tj"/*.bin | head -1)
expect_exit 0 tfjs_plain_ok "$CKPT" ls "$T/tj"
printf 'OUTSIDEMARK%.0s' $(seq 1 200) > "$T/elsewhere/w.bin"
for target in /etc/passwd "$T/elsewhere/w.bin"; do
    tag=$(basename "$target" | tr -c 'a-z0-9\n' _)
    rm -f "$sh1"; ln -s "$target" "$sh1"
    expect_exit 3 "tfjs_${tag}_ls_refused" "$CKPT" ls "$T/tj"
    grep -q "outside the model's folder" "$T/err" && grep -q "$(basename "$sh1")" "$T/err" \
        && pass "tfjs_${tag}_names_shard" || fail "tfjs_${tag}_names_shard" "$(cat "$T/err")"
    rm -rf "$T/o"; mkdir -p "$T/o"
    expect_exit 3 "tfjs_${tag}_convert_refused" "$CKPT" convert "$T/tj" -o "$T/o/x.safetensors"
    no_leak "tfjs_${tag}_no_leak" "$T/out" "$T/err" "$T/o"
    expect_exit 3 "tfjs_${tag}_info_refused" "$CKPT" info "$T/tj"
    no_leak "tfjs_${tag}_info_no_leak" "$T/out" "$T/err"
done
exit 0
