# PyTorch checkpoints: names, dtypes, shapes and values against
# torch.load(weights_only=True) (Debian python3-torch), through `ckpt ls --json`
# and `ckpt convert` to safetensors read back by hand (tests/ptref.py);
# malicious pickles refused without running anything; broken files rejected.
source "$(dirname "$0")/lib.sh"
export PYTHONPATH=$ROOT/tests

if ! $PY -c "import importlib.util, sys; sys.exit(importlib.util.find_spec('torch') is None)"; then skip torch_all "python3-torch missing"; exit 0; fi

# ref NAME FILE: ls --json + convert now; compared with torch.load at the end
# in one Python process (importing torch takes seconds).
REFS=()
ref() {
    local name=$1 f=$2
    rm -f "$T/$name.safetensors"
    if ! "$CKPT" ls --json "$f" >"$T/$name.ls.json" 2>"$T/err"; then
        fail "${name%+trusted}" "ls: $(head -c 300 "$T/err")"; return
    fi
    if ! "$CKPT" convert "$f" -o "$T/$name.safetensors" --quiet 2>"$T/err"; then
        fail "${name%+trusted}" "convert: $(head -c 300 "$T/err")"; return
    fi
    REFS+=("$name" "$f" "$T/$name.safetensors" "$T/$name.ls.json")
}
run_refs() {
    [ ${#REFS[@]} -gt 0 ] || return 0
    $PY "$ROOT/tests/ptref.py" torch "${REFS[@]}" 2>&1 | grep -E '^(PASS|FAIL)|Error' || fail torch_ref "ptref.py printed nothing"
}

# ---- the real fixtures ----------------------------------------------------
if need_shared torch_real; then
    ref torch_real_zip_mnist "$FIX/pytorch/burn-mnist/mnist.pt"
    ref torch_real_legacy "$FIX/pytorch/burn-simple_legacy/simple_legacy.pt"
    "$CKPT" info "$FIX/pytorch/burn-simple_legacy/simple_legacy.pt" >"$T/out" 2>&1
    check torch_info_legacy grep -q "serialization *torch legacy" "$T/out"
fi

# ---- checkpoints made here with torch -------------------------------------
cat > "$T/gen.py" <<'PY'
import collections, sys, torch
d = sys.argv[1]
g = torch.Generator().manual_seed(7)
def r(*s): return torch.randn(*s, generator=g)
sd = collections.OrderedDict()
sd["enc.weight"] = r(4, 3)
sd["enc.bias"] = r(4).double()
sd["half"] = r(2, 5).half()
sd["bf"] = r(3, 2).bfloat16()
sd["long"] = torch.arange(-5, 7, dtype=torch.int64).reshape(3, 4)
sd["int"] = torch.tensor([1, -2, 2**31 - 1], dtype=torch.int32)
sd["short"] = torch.tensor([-3, 4], dtype=torch.int16)
sd["char"] = torch.tensor([-128, 127], dtype=torch.int8)
sd["byte"] = torch.tensor([0, 255, 7], dtype=torch.uint8)
sd["mask"] = torch.tensor([[True, False], [False, True]])
sd["scalar"] = torch.tensor(3.5)
sd["empty"] = torch.zeros(0, 3)
sd["layers.10.w"] = r(2)
sd["layers.2.w"] = r(2)
torch.save(sd, f"{d}/dtypes.pt")
torch.save(sd, f"{d}/dtypes_legacy.pt", _use_new_zipfile_serialization=False)
# a training checkpoint: the state dict nested, other entries alongside
torch.save({"state_dict": sd, "epoch": 3, "best": 0.25, "name": "run"}, f"{d}/nested.pth")
torch.save({"model": sd, "epoch": 3}, f"{d}/nested_model.pt")
# views: transposed, sliced with offset and step, storage shared by several
base = r(6, 5)
views = {"t": base.t(), "slice": base[1:5:2, 1::2], "full": base, "row": base[3], "col": base[:, 2],
         "expand": r(1, 3).expand(4, 3)}
torch.save(views, f"{d}/views.pt")
torch.save(views, f"{d}/views_legacy.pt", _use_new_zipfile_serialization=False)
# parameters and a plain tensor
torch.save({"p": torch.nn.Parameter(r(2, 2)), "lin": torch.nn.Linear(3, 2).state_dict()}, f"{d}/params.pt")
torch.save(r(3, 3), f"{d}/lone.pt")
# optimizer state beside the model
m = torch.nn.Linear(3, 2)
opt = torch.optim.Adam(m.parameters())
m(r(1, 3)).sum().backward(); opt.step()
torch.save({"model": m.state_dict(), "optimizer": opt.state_dict(), "epoch": 1}, f"{d}/with_opt.pt")

# ---- a big-endian zip: byteorder "big" and swapped storages ----
import zipfile, numpy as np
sd = {"a": torch.arange(6, dtype=torch.float32).reshape(2, 3) / 7, "b": torch.tensor([1, -2, 300], dtype=torch.int16),
      "c": torch.tensor([2**40, -1]), "d": torch.tensor([1.5, -2.25]).bfloat16()}
torch.save(sd, f"{d}/le.pt")
size = {"a": "<f4", "b": "<i2", "c": "<i8", "d": "<u2"}
zin = zipfile.ZipFile(f"{d}/le.pt")
keys = {}
# storage key of each tensor, from torch's own view of the file
for k, t in sd.items():
    keys[str(t.storage().data_ptr())] = k
with zipfile.ZipFile(f"{d}/be.pt", "w", zipfile.ZIP_STORED) as zout:
    loaded = torch.load(f"{d}/le.pt", weights_only=True)
    order = list(sd)
    for info in zin.infolist():
        data = zin.read(info)
        name = info.filename.split("/", 1)[1]
        if name == "byteorder":
            data = b"big"
        elif name.startswith("data/"):
            k = order[int(name[5:])]     # keys are assigned in save order
            data = np.frombuffer(data, dtype=size[k]).byteswap().tobytes()
        zout.writestr(info.filename, data)
    zout.writestr(zin.infolist()[0].filename.split("/", 1)[0] + "/byteorder", b"big")
# ---- malicious pickles ----
import io, os, pickle
marker = sys.argv[2]
class Evil:
    def __reduce__(self):
        return (os.system, (f"touch {marker}",))
class EvalEvil:
    def __reduce__(self):
        return (eval, (f"open({marker!r}, 'w').close()",))
# 1. a bare pickle with .pt extension (protocol 2: GLOBAL posix.system)
open(f"{d}/evil_raw.pt", "wb").write(pickle.dumps({"w": Evil()}, protocol=2))
# 2. protocol 4: STACK_GLOBAL + MEMOIZE + FRAME, builtins.eval
open(f"{d}/evil_p4.pt", "wb").write(pickle.dumps({"w": EvalEvil()}, protocol=4))
# 3. a real torch zip whose data.pkl holds a tensor and the payload
buf = io.BytesIO()
torch.save({"ok": torch.ones(2), "x": Evil()}, buf)
open(f"{d}/evil_zip.pt", "wb").write(buf.getvalue())
# 4. legacy torch format with the payload inside the object pickle
torch.save({"ok": torch.ones(2), "x": Evil()}, f"{d}/evil_legacy.pt", _use_new_zipfile_serialization=False)
# 5. the payload hidden under a key torch readers look at
torch.save({"state_dict": {"w": torch.ones(1)}, "hook": Evil()}, f"{d}/evil_nested.pt")
# a whole pickled module: names its class
torch.save(torch.nn.Linear(2, 2), f"{d}/module.pt")
PY
MARK=$T/pwned
if $PY "$T/gen.py" "$T" "$MARK" 2>"$T/err"; then
    ref torch_dtypes_zip "$T/dtypes.pt"
    ref torch_dtypes_legacy "$T/dtypes_legacy.pt"
    ref torch_nested_state_dict+trusted "$T/nested.pth"
    ref torch_nested_model "$T/nested_model.pt"
    ref torch_views_zip "$T/views.pt"
    ref torch_views_legacy "$T/views_legacy.pt"
    ref torch_parameters "$T/params.pt"
    ref torch_lone_tensor "$T/lone.pt"
    "$CKPT" info "$T/nested.pth" >"$T/out" 2>&1
    check torch_nested_fact grep -Eq "other_entries +epoch, best, name" "$T/out"
    "$CKPT" info "$T/views.pt" >"$T/out" 2>&1
    check torch_shared_storage_fact grep -q "shared_storage" "$T/out"
    # optimizer state: listed, converted only when asked
    "$CKPT" ls "$T/with_opt.pt" >"$T/out" 2>&1
    check torch_opt_listed grep -q "optimizer.state.0.exp_avg " "$T/out"
    "$CKPT" convert "$T/with_opt.pt" -o "$T/wo.safetensors" --quiet 2>"$T/err"
    "$CKPT" convert "$T/with_opt.pt" -o "$T/wi.safetensors" --quiet --include-optimizer 2>>"$T/err"
    if $PY - "$T/with_opt.pt" "$T/wo.safetensors" "$T/wi.safetensors" >"$T/out" 2>&1 <<'PY'
import sys, torch, ptref
ck = torch.load(sys.argv[1], weights_only=False)  # made above; old torch's weights-only loader lacks BINFLOAT
wo, wi = ptref.st_read(sys.argv[2]), ptref.st_read(sys.argv[3])
assert sorted(wo) == sorted(ck["model"]), sorted(wo)
st = ck["optimizer"]["state"]
for i, s in st.items():
    for k in ("exp_avg", "exp_avg_sq"):
        a = wi[f"optimizer.state.{i}.{k}"][1]
        assert a.tobytes() == s[k].numpy().tobytes(), (i, k)
PY
    then pass torch_opt_convert; else fail torch_opt_convert "$(tail -3 "$T/out" | tr '\n' ' ')"; fi
else
    fail torch_generate "$(tail -3 "$T/err" | tr '\n' ' ')"
fi

# ---- big-endian zip: byteorder "big" and swapped storages ------------------
if [ -f "$T/be.pt" ]; then
    "$CKPT" convert "$T/be.pt" -o "$T/be.safetensors" --quiet 2>"$T/err"
    "$CKPT" ls --json "$T/be.pt" >"$T/be.ls.json" 2>>"$T/err"
    # values must equal the little-endian original's
    REFS+=(torch_big_endian "$T/le.pt" "$T/be.safetensors" "$T/be.ls.json")
else
    fail torch_big_endian "not generated"
fi

# ---- malicious pickles: refused, and nothing runs --------------------------
# Each payload would create a marker file. First prove the payload is live:
# Python's own pickle.loads runs it (marker created); then ckpt must refuse
# it (exit 3, "refused unsafe") and the marker must not exist.
if [ -f "$T/evil_raw.pt" ]; then
    rm -f "$MARK"
    # the payload is live: Python's pickle runs it
    (cd "$T" && $PY -c "import pickle; pickle.load(open('evil_raw.pt','rb'))") >/dev/null 2>&1
    if [ -e "$MARK" ]; then pass torch_evil_payload_is_live; else fail torch_evil_payload_is_live "marker not created by pickle.load"; fi
    rm -f "$MARK"
    for n in evil_raw evil_p4 evil_zip evil_legacy evil_nested; do
        for cmd in ls info check; do
            expect_exit 3 "torch_${n}_${cmd}_refused" "$CKPT" $cmd "$T/$n.pt"
            grep -q "refused unsafe pickle global '\(posix\|os\|nt\)\.system' at byte [0-9]" "$T/err" ||
                grep -q "refused unsafe pickle global 'builtins.eval' at byte [0-9]" "$T/err" ||
                fail "torch_${n}_${cmd}_message" "$(head -c 300 "$T/err")"
        done
        expect_exit 3 "torch_${n}_convert_refused" "$CKPT" convert "$T/$n.pt" -o "$T/$n.safetensors"
        [ ! -e "$T/$n.safetensors" ] || fail "torch_${n}_no_output" "output written"
    done
    if [ -e "$MARK" ]; then fail torch_evil_nothing_executed "marker file exists"; else pass torch_evil_nothing_executed; fi
    # the message is one line naming the global and the offset
    "$CKPT" ls "$T/evil_raw.pt" 2>"$T/err" >/dev/null
    check torch_evil_one_line test "$(wc -l <"$T/err")" -eq 1
else
    fail torch_evil_generate "not generated"
fi

# a whole pickled module (torch.save(model)) names its class: refused too
expect_exit 3 torch_pickled_module_refused "$CKPT" ls "$T/module.pt"
check torch_pickled_module_msg grep -q "refused unsafe pickle global 'torch.nn.modules.linear.Linear'" "$T/err"

# ---- truncated and corrupt files -------------------------------------------
if [ -f "$T/dtypes.pt" ]; then
    head -c 1000 "$T/dtypes.pt" >"$T/trunc.pt"
    expect_exit 3 torch_truncated_zip "$CKPT" ls "$T/trunc.pt"
    sz=$(stat -c %s "$T/dtypes_legacy.pt")
    head -c $((sz - 10)) "$T/dtypes_legacy.pt" >"$T/trunc_legacy.pt"
    expect_exit 3 torch_truncated_legacy "$CKPT" ls "$T/trunc_legacy.pt"
    check torch_truncated_legacy_msg grep -q "truncated" "$T/err"
    head -c 300 "$T/dtypes_legacy.pt" >"$T/trunc_legacy2.pt"
    expect_exit 3 torch_truncated_legacy_pickle "$CKPT" ls "$T/trunc_legacy2.pt"
    check torch_truncated_legacy_pickle_msg grep -q "malformed pickle: truncated" "$T/err"
    # a corrupted opcode inside data.pkl
    $PY - "$T" <<'PY'
import sys, zipfile
d = sys.argv[1]
zin = zipfile.ZipFile(f"{d}/dtypes.pt")
with zipfile.ZipFile(f"{d}/badpkl.pt", "w") as z:
    for i in zin.infolist():
        b = zin.read(i)
        if i.filename.endswith("data.pkl"):
            b = b[:40] + b"\xff" + b[41:]
        z.writestr(i.filename, b)
# a storage member missing
with zipfile.ZipFile(f"{d}/nostorage.pt", "w") as z:
    for i in zin.infolist():
        if not i.filename.endswith("data/0"):
            z.writestr(i.filename, zin.read(i))
PY
    expect_exit 3 torch_bad_opcode "$CKPT" ls "$T/badpkl.pt"
    check torch_bad_opcode_msg grep -q "malformed pickle.*at byte\|at byte.*malformed pickle" "$T/err"
    expect_exit 3 torch_missing_storage "$CKPT" ls "$T/nostorage.pt"
    check torch_missing_storage_msg grep -q "storage '0' is missing" "$T/err"
fi
head -c 4000 /dev/urandom >"$T/noise.pt"
expect_exit 3 torch_noise "$CKPT" ls "$T/noise.pt"
printf '\x80\x02' >"$T/tiny.pt"
expect_exit 3 torch_tiny_pickle "$CKPT" ls "$T/tiny.pt"

run_refs
