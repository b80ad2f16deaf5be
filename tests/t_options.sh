# One option parser for every command (ui/args.c over getopt_long): `--opt=v`,
# `--opt v`, `-o v`, `-o=v` and `--` mean the same everywhere; the outputs are
# compared byte for byte, and the values checked with NumPy.
source "$(dirname "$0")/lib.sh"

"$PY" - "$T/m.safetensors" <<'PY' || { fail options_fixture "could not write the fixture"; exit 0; }
import json, struct, sys, numpy as np
ts = {"a.weight": np.arange(12, dtype=np.float32).reshape(3, 4), "b.bias": np.linspace(-1, 1, 5).astype(np.float32)}
hdr, off, blob = {}, 0, b""
for k, v in ts.items():
    b = v.tobytes(); hdr[k] = {"dtype": "F32", "shape": list(v.shape), "data_offsets": [off, off + len(b)]}; off += len(b); blob += b
h = json.dumps(hdr).encode(); h += b" " * (-len(h) % 8)
open(sys.argv[1], "wb").write(struct.pack("<Q", len(h)) + h + blob)
PY
M=$T/m.safetensors

# convert: every spelling of the same options gives the same bytes
i=0
for spelling in "--to npz -o $T/o1.npz" "--to=npz -o=$T/o2.npz" "--to=npz --output=$T/o3.npz" \
                "--to npz --output $T/o4.npz" "-o$T/o5.npz --to npz"; do
    i=$((i + 1))
    # shellcheck disable=SC2086
    "$CKPT" convert "$M" $spelling --progress none >"$T/c$i.out" 2>&1 || fail "options_convert_$i" "$spelling: $(cat "$T/c$i.out")"
done
ok=1; for k in 2 3 4 5; do cmp -s "$T/o1.npz" "$T/o$k.npz" || ok=0; done
[ $ok = 1 ] && pass options_convert_spellings || fail options_convert_spellings "outputs differ"
[ ! -e "=$T/o2.npz" ] && [ ! -d "=" ] && pass options_short_equals || fail options_short_equals "-o=X made a file named =X"
"$PY" -c "
import numpy as np, sys
z = np.load(sys.argv[1], allow_pickle=False)
assert (z['a.weight'] == np.arange(12, dtype=np.float32).reshape(3, 4)).all()
" "$T/o2.npz" && pass options_convert_values || fail options_convert_values "npz values"

# --progress MODE and --progress=MODE: both give JSON lines
for sp in "--progress json" "--progress=json"; do
    # shellcheck disable=SC2086
    "$CKPT" convert "$M" -o "$T/p.safetensors" $sp 2>"$T/p.err" >/dev/null
    "$PY" -c "
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.startswith('{')]
assert lines, 'no progress lines'
" "$T/p.err" && pass "options_progress_${sp// /_}" || fail "options_progress_${sp// /_}" "$(head -c 200 "$T/p.err")"
done

# writer options declared in a format's .opts, both spellings
"$CKPT" convert "$M" -o "$T/q1.npz" --compress >/dev/null 2>&1
unzip -v "$T/q1.npz" 2>/dev/null | grep -q Defl && pass options_writer_flag || fail options_writer_flag "--compress did not deflate"

# `--` ends the options: a file named like an option is an input
cp "$M" "$T/--json"
(cd "$T" && "$CKPT" ls -- --json) >"$T/dd.out" 2>&1 && grep -q a.weight "$T/dd.out" && pass options_double_dash \
    || fail options_double_dash "$(cat "$T/dd.out")"
(cd "$T" && "$CKPT" ls --json -- --json) >"$T/dj.out" 2>&1 && "$PY" -c "import json,sys; json.load(open(sys.argv[1]))" "$T/dj.out" \
    && pass options_json_then_dash || fail options_json_then_dash "$(head -c 200 "$T/dj.out")"
expect_exit 2 options_after_dash_positional "$CKPT" convert -- "$M" -o "$T/x.npz"

# ls/diff/check/maps/search/pull: --opt=v and --opt v alike
"$CKPT" ls "$M" --grep=bias >"$T/g1" 2>&1; "$CKPT" ls "$M" --grep bias >"$T/g2" 2>&1
cmp -s "$T/g1" "$T/g2" && grep -q b.bias "$T/g1" && ! grep -q a.weight "$T/g1" && pass options_ls_grep || fail options_ls_grep "$(cat "$T/g1")"
cp "$M" "$T/n.safetensors"
expect_exit 0 options_diff_atol_eq "$CKPT" diff "$M" "$T/n.safetensors" --values --atol=0.5 --rtol 0
expect_exit 2 options_diff_bad_atol "$CKPT" diff "$M" "$T/n.safetensors" --values --atol=-1
grep -q -- "--atol wants a non-negative number" "$T/err" && pass options_diff_bad_atol_msg || fail options_diff_bad_atol_msg "$(cat "$T/err")"
expect_exit 2 options_missing_value "$CKPT" convert "$M" -o
grep -q -- "-o needs a value" "$T/err" && pass options_missing_value_msg || fail options_missing_value_msg "$(cat "$T/err")"
expect_exit 2 options_unknown "$CKPT" check "$M" --frobnicate=3
grep -q -- "unknown option '--frobnicate'" "$T/err" && pass options_unknown_msg || fail options_unknown_msg "$(cat "$T/err")"
# a unique prefix is the option (GNU rules); an ambiguous one is refused, naming the candidates
expect_exit 0 options_unique_prefix "$CKPT" convert "$M" -o "$T/u.npz" --compr
unzip -v "$T/u.npz" 2>/dev/null | grep -q Defl && pass options_unique_prefix_applied || fail options_unique_prefix_applied "--compr did not deflate"
expect_exit 2 options_ambiguous "$CKPT" convert "$M" -o "$T/y.npz" --quant x
grep -q "ambiguous option '--quant' (.*--quantize.*--quantize-only" "$T/err" && pass options_ambiguous_msg || fail options_ambiguous_msg "$(cat "$T/err")"
expect_exit 2 options_bad_progress "$CKPT" convert "$M" -o "$T/z.npz" --progress=loud
grep -q "bar, json or none" "$T/err" && pass options_bad_progress_msg || fail options_bad_progress_msg "$(cat "$T/err")"
[ ! -e "$T/z.npz" ] && pass options_usage_writes_nothing || fail options_usage_writes_nothing "z.npz exists"
expect_exit 2 options_search_limit "$CKPT" search x --limit=0
expect_exit 2 options_pull_parallel "$CKPT" pull hf://org/x --parallel=99
expect_exit 0 options_maps_json_eq "$CKPT" maps --json
"$PY" -c "import json,sys; assert isinstance(json.load(open(sys.argv[1])), list)" "$T/out" && pass options_maps_json || fail options_maps_json "$(head -c 200 "$T/out")"
# the top level: --theme=X and --theme X; --help after -- is an argument
expect_exit 2 options_top_unknown "$CKPT" --frob
expect_exit 0 options_help_anywhere "$CKPT" convert x --help
grep -q "usage: ckpt convert" "$T/out" && pass options_help_text || fail options_help_text "$(head -3 "$T/out")"
