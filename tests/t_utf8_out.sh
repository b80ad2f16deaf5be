# Outputs are valid UTF-8 where their format says so (issue 19): a GGUF tensor
# name that is not UTF-8 is refused by every writer, naming the tensor, with
# nothing written; --rename fixes it. GGUF string metadata that is not UTF-8
# reaches the safetensors header with each bad byte as the text \xNN, exactly
# Python's bytes.decode("utf-8", "backslashreplace"), and json.loads takes it.
source "$(dirname "$0")/lib.sh"

"$PY" - "$T" <<'PY' || { fail utf8_fixture "could not write the fixtures"; exit 0; }
import struct, sys
def s(b): return struct.pack('<Q', len(b)) + b
def gguf(path, kv, name):
    out = b'GGUF' + struct.pack('<IQQ', 3, 1, len(kv))
    for k, v in kv: out += s(k) + struct.pack('<I', 8) + s(v)
    out += s(name) + struct.pack('<I', 1) + struct.pack('<Q', 4) + struct.pack('<IQ', 0, 0)
    out += b'\0' * (-len(out) % 32) + struct.pack('<4f', 1, 2, 3, 4)
    open(path, 'wb').write(out)
gguf(sys.argv[1] + '/badname.gguf', [(b'general.architecture', b'llama')], b'bad\xffname')
gguf(sys.argv[1] + '/badmeta.gguf', [(b'general.architecture', b'llama'),
     (b'general.name', b'caf\xc3\xa9 \xff\xfe half\xe2\x82 end'), (b'k\xffey', b'v')], b'ok.weight')
PY

for to in safetensors npz torch; do
    expect_exit 3 "utf8_name_refused_$to" "$CKPT" convert "$T/badname.gguf" --to $to -o "$T/out.$to"
    grep -q "tensor 'bad\\\\xffname': output name is not valid UTF-8" "$T/err" && pass "utf8_name_named_$to" \
        || fail "utf8_name_named_$to" "$(cat "$T/err")"
    [ -z "$(ls "$T" | grep '^out\.')" ] && pass "utf8_name_nothing_written_$to" || fail "utf8_name_nothing_written_$to" "$(ls "$T")"
done
"$CKPT" convert "$T/badname.gguf" -o "$T/fixed.npz" --rename $'bad\xffname=good' 2>"$T/err"
"$PY" -c "
import numpy as np, sys
z = np.load(sys.argv[1], allow_pickle=False)
assert z.files == ['good'] and z['good'].tolist() == [1, 2, 3, 4], z.files
" "$T/fixed.npz" && pass utf8_name_rename_fixes || fail utf8_name_rename_fixes "$(cat "$T/err")"

expect_exit 0 utf8_meta_converts "$CKPT" convert "$T/badmeta.gguf" -o "$T/meta.safetensors"
"$PY" - "$T/meta.safetensors" <<'PY' && pass utf8_meta_backslashreplace || fail utf8_meta_backslashreplace "see output"
import json, struct, sys
b = open(sys.argv[1], 'rb').read()
n = struct.unpack('<Q', b[:8])[0]
meta = json.loads(b[8:8 + n].decode('utf-8'))['__metadata__']   # strict: raises on bad UTF-8
want_v = b'caf\xc3\xa9 \xff\xfe half\xe2\x82 end'.decode('utf-8', 'backslashreplace')
want_k = b'k\xffey'.decode('utf-8', 'backslashreplace')
assert meta.get('general.name') == want_v, (meta.get('general.name'), want_v)
assert meta.get(want_k) == 'v', meta
PY
expect_exit 0 utf8_meta_reads_back "$CKPT" info "$T/meta.safetensors"
