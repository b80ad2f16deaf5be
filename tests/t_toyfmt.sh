#!/bin/bash
# A format is one file and one registry line: copy the tree (with its
# built objects), add tests/toyfmt/fmt_toy.c as src/formats/fmt_toy.c and
# one X(toy) line to src/format.c's CKPT_FORMAT_LIST, check that nothing
# else differs, build, and convert through the toy format both ways,
# checked by an independent Python reader of both files.
source "$(dirname "$0")/lib.sh"
[ -f "$ROOT/build/libckpt.a" ] || { skip toyfmt "no build/ in $ROOT (run make first)"; exit 0; }
W=$T/tree
mkdir -p "$W/build"
(cd "$ROOT" && cp -a Makefile src ui include proto templates tools "$W/") &&
    cp -a "$ROOT/build/obj" "$ROOT/build/proto" "$ROOT/build/gen" "$ROOT/build/libckpt.a" "$W/build/" ||
    { fail toyfmt_copy "cannot copy the tree"; exit 0; }
cp "$ROOT/tests/toyfmt/fmt_toy.c" "$W/src/formats/fmt_toy.c"
sed -i 's|^    /\* end of the list \*/$|    X(toy)                  \\\n&|' "$W/src/format.c"

# the change is exactly: one new file, one added line
diff -r "$ROOT/src" "$W/src" >"$T/src.diff"
want="Only in $W/src/formats: fmt_toy.c"
if [ "$(grep -c '^Only in' "$T/src.diff")" = 1 ] && grep -qxF "$want" "$T/src.diff" &&
   [ "$(grep -c '^[<>]' "$T/src.diff")" = 1 ] && grep -qE '^> +X\(toy\) +\\$' "$T/src.diff"; then
    pass toyfmt_one_file_one_line
else
    fail toyfmt_one_file_one_line "$(head -c 400 "$T/src.diff")"
fi

make -C "$W" -j2 ckpt WERROR=-Werror >"$T/make.log" 2>&1 && pass toyfmt_builds || { fail toyfmt_builds "$(tail -5 "$T/make.log")"; exit 0; }
TOY=$W/ckpt
"$TOY" formats | grep -qE '^toy +rw' && pass toyfmt_listed || fail toyfmt_listed "$("$TOY" formats | tail -3)"
"$CKPT" formats | grep -q '^toy ' && fail toyfmt_not_in_ckpt "the toy format leaked into the real build" || pass toyfmt_not_in_ckpt

SRC=$ROOT/examples/demo.safetensors
expect_exit 0 toyfmt_convert_to "$TOY" convert "$SRC" --to toy -o "$T/demo.toy"
expect_exit 0 toyfmt_convert_back "$TOY" convert "$T/demo.toy" --to safetensors -o "$T/back.safetensors"
"$TOY" ls "$T/demo.toy" --json >"$T/ls.json" 2>"$T/ls.err"

# independent readers: safetensors (JSON header) and the toy layout
check toyfmt_values "$PY" - "$SRC" "$T/demo.toy" "$T/back.safetensors" "$T/ls.json" <<'PYEOF'
import json, struct, sys
def st(path):
    b = open(path, "rb").read()
    n = struct.unpack("<Q", b[:8])[0]
    h = json.loads(b[8:8 + n]); h.pop("__metadata__", None)
    return {k: (v["dtype"], v["shape"], b[8 + n + v["data_offsets"][0]:8 + n + v["data_offsets"][1]]) for k, v in h.items()}
def toy(path):
    b = open(path, "rb").read()
    head, data = b.split(b"\n\n", 1)
    lines = head.decode().split("\n")
    assert lines[0] == "CKPTTOY 1" and int(lines[1]) == len(lines) - 2, lines[:2]
    out, off = {}, 0
    sizes = {"F16": 2, "BF16": 2, "F32": 4, "F64": 8, "I64": 8, "I32": 4, "U8": 1, "I8": 1, "BOOL": 1}
    for l in lines[2:]:
        name, dt, dims = l.split("\t")
        shape = [int(d) for d in dims.split(",")] if dims else []
        n = sizes[dt]
        for d in shape: n *= d
        out[name] = (dt, shape, data[off:off + n]); off += n
    assert off == len(data), (off, len(data))
    return out
a, t, back = st(sys.argv[1]), toy(sys.argv[2]), st(sys.argv[3])
assert a == t, sorted(set(a) ^ set(t)) or [k for k in a if a[k] != t.get(k)]
assert a == back, [k for k in a if a[k] != back.get(k)]
ls = json.load(open(sys.argv[4]))
assert ls["format"] == "toy" and [x["name"] for x in ls["tensors"]] == list(t), ls["format"]
print(len(a), "tensors equal through toy and back")
PYEOF

# a damaged toy file: a clear one-line error naming the file, exit 3
head -c 200 "$T/demo.toy" >"$T/cut.toy"
expect_exit 3 toyfmt_cut_exit "$TOY" ls "$T/cut.toy"
grep -q "cut.toy" "$T/err" && [ "$(wc -l <"$T/err")" = 1 ] && pass toyfmt_cut_message || fail toyfmt_cut_message "$(cat "$T/err")"
# its magics slot gives the truncation hint, with no other file changed
printf 'CKPT' >"$T/tiny.toy"
"$TOY" ls "$T/tiny.toy" >/dev/null 2>"$T/tiny.err"
grep -q "truncated: only 4 bytes" "$T/tiny.err" && pass toyfmt_truncated_hint || fail toyfmt_truncated_hint "$(cat "$T/tiny.err")"
