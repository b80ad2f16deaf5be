# ckpt check on Keras files: planted faults in h5py-written legacy files are
# reported (shape vs config, renumbered layers with the pairing, missing and
# unclaimed weights), exit 1; the real fixtures are clean (exit 0).
source "$(dirname "$0")/lib.sh"
export PYTHONPATH=$ROOT/tests

$PY - "$T" <<'PY'
import sys
from kgen import write, dense, seq
d = sys.argv[1]
# Dense units 10 whose kernel is (64, 12)
write(d + "/shape.h5", seq(dense("dense", 10, 64)), [["dense", [["kernel", (64, 12)], ["bias", (12,)]]]])
# model built twice in a session: weights saved as dense_2/dense_3, config says dense/dense_1
write(d + "/renum.h5", seq(dense("dense", 8, 4), dense("dense_1", 2)),
      [["dense_2", [["kernel", (4, 8)], ["bias", (8,)]]], ["dense_3", [["kernel", (8, 2)], ["bias", (2,)]]]])
# a config layer with no weights, and a weight group no layer claims
write(d + "/missing.h5", seq(dense("dense", 8, 4), dense("head", 3)),
      [["dense", [["kernel", (4, 8)], ["bias", (8,)]]], ["classifier", [["kernel", (8, 3)], ["bias", (3,)]]]])
# clean
write(d + "/clean.h5", seq(dense("dense", 8, 4), dense("dense_1", 2)),
      [["dense", [["kernel", (4, 8)], ["bias", (8,)]]], ["dense_1", [["kernel", (8, 2)], ["bias", (2,)]]]])
PY

expect_exit 1 check_shape_exit1 "$CKPT" check --json "$T/shape.h5"
$PY - "$T/out" <<'PY' && pass check_shape_reported || fail check_shape_reported "$(head -c 500 "$T/out")"
import json, sys
f = json.load(open(sys.argv[1]))["findings"]
k = [x for x in f if x["kind"] == "shape" and x["layer"] == "dense" and x["tensor"] == "dense/kernel"]
assert k and "(64, 12)" in k[0]["message"] and "(64, 10)" in k[0]["message"] and "units: 10" in k[0]["message"], f
assert any(x["kind"] == "shape" and x["tensor"] == "dense/bias" for x in f), f
PY

expect_exit 1 check_renumbered_exit1 "$CKPT" check --json "$T/renum.h5"
$PY - "$T/out" <<'PY' && pass check_renumbered_paired || fail check_renumbered_paired "$(head -c 600 "$T/out")"
import json, sys
f = json.load(open(sys.argv[1]))["findings"]
r = {(x["tensor"], x["layer"]) for x in f if x["kind"] == "rename"}
assert r == {("dense_2", "dense"), ("dense_3", "dense_1")}, f
assert all("--rename" in x["suggestion"] for x in f if x["kind"] == "rename"), f
assert not [x for x in f if x["kind"] in ("missing", "unexpected")], f
PY
# the human output names layer and weight group, one finding per line
"$CKPT" check "$T/renum.h5" >"$T/human" 2>&1
grep -q "rename .*layer dense: weights stored as 'dense_2' probably belong to Dense dense" "$T/human" \
    && pass check_human_output || fail check_human_output "$(cat "$T/human")"

expect_exit 1 check_missing_exit1 "$CKPT" check --json "$T/missing.h5"
$PY - "$T/out" <<'PY' && pass check_missing_unexpected || fail check_missing_unexpected "$(head -c 600 "$T/out")"
import json, sys
f = json.load(open(sys.argv[1]))["findings"]
assert any(x["kind"] == "missing" and x["layer"] == "head" for x in f), f
assert any(x["kind"] == "unexpected" and x["layer"] == "classifier" for x in f), f
PY

expect_exit 0 check_clean_generated "$CKPT" check "$T/clean.h5"
if need_shared keras_check_fixtures; then
    for f in "$FIX"/keras2_h5/*/*.h5 "$FIX"/keras2_h5/*/*.hdf5 "$FIX"/keras2_weights_h5/*/*.h5 "$FIX"/keras3_keras/*/*.keras; do
        expect_exit 0 "check_clean_$(basename "$f" | tr -c 'a-zA-Z0-9\n' _)" "$CKPT" check "$f"
    done
fi
