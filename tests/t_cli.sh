# The command line's contract: help, version, usage errors (2), input errors (3).
source "$(dirname "$0")/lib.sh"

expect_exit 0 help_ok "$CKPT" --help
grep -q '^  convert' "$T/out" && pass help_lists_commands || fail help_lists_commands "$(cat "$T/out")"
expect_exit 0 version_ok "$CKPT" --version
grep -qE '^ckpt [0-9]+\.[0-9]+\.[0-9]+$' "$T/out" && pass version_format || fail version_format "$(cat "$T/out")"
expect_exit 0 help_cmd "$CKPT" help convert
grep -q -- '--shard-size' "$T/out" && pass help_cmd_text || fail help_cmd_text "$(cat "$T/out")"
expect_exit 2 unknown_command "$CKPT" frobnicate x
expect_exit 2 unknown_option "$CKPT" ls --frob x
expect_exit 2 ls_missing_path "$CKPT" ls
expect_exit 2 convert_missing_out "$CKPT" convert x
expect_exit 2 convert_bad_size "$CKPT" convert x -o y.safetensors --shard-size 5parsecs
expect_exit 2 no_args_not_tty "$CKPT"

expect_exit 3 missing_file "$CKPT" info "$T/nope.safetensors"
grep -q "nope.safetensors" "$T/err" && pass missing_file_named || fail missing_file_named "$(cat "$T/err")"
printf 'just some text\n' > "$T/notes.txt"
expect_exit 3 unknown_format "$CKPT" ls "$T/notes.txt"
grep -q "notes.txt: unrecognised checkpoint format" "$T/err" && pass unknown_format_msg || fail unknown_format_msg "$(cat "$T/err")"
[ "$(wc -l < "$T/err")" -eq 1 ] && pass error_is_one_line || fail error_is_one_line "$(cat "$T/err")"
: > "$T/empty.bin"
expect_exit 3 empty_file "$CKPT" info "$T/empty.bin"
grep -q "empty file" "$T/err" && pass empty_file_msg || fail empty_file_msg "$(cat "$T/err")"
# a part of a model opened on its own: the error says which file to open
mkdir -p "$T/tfjs"
head -c 64 /dev/urandom > "$T/tfjs/group1-shard1of1.bin"
printf '{"format":"layers-model","weightsManifest":[{"paths":["group1-shard1of1.bin"],"weights":[{"name":"d/kernel","shape":[4,4],"dtype":"float32"}]}]}' > "$T/tfjs/my-model.json"
expect_exit 3 tfjs_shard_alone "$CKPT" ls "$T/tfjs/group1-shard1of1.bin"
grep -q "TensorFlow.js weight shard: open $T/tfjs/my-model.json" "$T/err" && pass tfjs_shard_hint || fail tfjs_shard_hint "$(cat "$T/err")"
printf '{"class_name": "Sequential", "config": {"layers": []}}' > "$T/arch.json"
expect_exit 3 keras_json_alone "$CKPT" info "$T/arch.json"
grep -q "arch.json: not a checkpoint by itself: a Keras model config" "$T/err" && pass keras_json_hint || fail keras_json_hint "$(cat "$T/err")"

# not a terminal: the bare path form prints `info` (same exit code as info)
expect_exit 3 bare_path_not_tty "$CKPT" "$T/notes.txt"

# a directory output defaults to sharded safetensors; the result reads back the same
if "$CKPT" convert "$ROOT/examples/demo.safetensors" -o "$T/outdir/" --shard-size 4KB --quiet 2>"$T/err"; then
    pass convert_dir_default
    "$CKPT" ls --json "$ROOT/examples/demo.safetensors" > "$T/a.json"
    "$CKPT" ls --json "$T/outdir" > "$T/b.json"
    $PY - "$T/a.json" "$T/b.json" <<'PY' && pass convert_dir_same_tensors || fail convert_dir_same_tensors "listings differ"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
key = lambda t: t["name"]
assert sorted(a["tensors"], key=key) == sorted(b["tensors"], key=key)
PY
else
    fail convert_dir_default "$(cat "$T/err")"
fi
