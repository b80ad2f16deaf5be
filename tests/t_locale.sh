#!/bin/bash
# Numbers stay in the C locale whatever the user's locale: under a
# comma-decimal locale (de_DE.UTF-8, built here with localedef) sizes and
# tolerances parse, and --progress=json / --json stay valid JSON (Python's
# json module is the reference).
source "$(dirname "$0")/lib.sh"
if ! command -v localedef >/dev/null || [ ! -e /usr/share/i18n/locales/de_DE ]; then
    skip locale "localedef or the de_DE locale source missing (Debian package locales)"; exit 0
fi
mkdir -p "$T/loc"
if ! localedef -i de_DE -f UTF-8 "$T/loc/de_DE.UTF-8" >"$T/localedef.log" 2>&1 && [ ! -d "$T/loc/de_DE.UTF-8" ]; then
    skip locale "localedef failed: $(tail -1 "$T/localedef.log")"; exit 0
fi
de() { LOCPATH=$T/loc LC_ALL=de_DE.UTF-8 "$@"; }
# the locale is real: C's printf under it writes a comma
if [ "$(de "$PY" -c 'import locale; locale.setlocale(locale.LC_ALL, ""); print(locale.format_string("%.1f", 1.5))')" != "1,5" ]; then
    skip locale "de_DE.UTF-8 does not give a comma decimal here"; exit 0
fi
"$PY" -c "
import sys; sys.path.insert(0, '$ROOT/tests'); import stio, numpy as np
stio.write('$T/a.safetensors', {'w': np.arange(6, dtype=np.float32).reshape(2, 3), 'b': np.ones(3, np.float32)})
stio.write('$T/b.safetensors', {'w': np.arange(6, dtype=np.float32).reshape(2, 3) + 0.0005, 'b': np.ones(3, np.float32)})
"
expect_exit 0 shard_size_decimal de "$CKPT" convert "$T/a.safetensors" -o "$T/sharded/" --shard-size 1.5GB
expect_exit 0 diff_atol_decimal de "$CKPT" diff "$T/a.safetensors" "$T/b.safetensors" --values --atol 0.001
expect_exit 1 diff_atol_decimal_strict de "$CKPT" diff "$T/a.safetensors" "$T/b.safetensors" --values --atol 0.0001
de "$CKPT" convert "$T/a.safetensors" -o "$T/p.safetensors" --progress=json >"$T/prog.out" 2>"$T/prog.err"
if "$PY" -c "
import json, sys
lines = [l for l in open('$T/prog.err').read().splitlines() + open('$T/prog.out').read().splitlines() if l.startswith('{')]
assert lines, 'no JSON progress lines'
for l in lines: json.loads(l)
" 2>"$T/pj.err"; then pass progress_json_decimal; else fail progress_json_decimal "$(tail -1 "$T/pj.err")"; fi
de "$CKPT" info "$T/a.safetensors" --json >"$T/info.json" 2>&1
check info_json_decimal "$PY" -c "import json; json.load(open('$T/info.json'))"
# human sizes use a point, as in the C locale
de "$CKPT" convert "$T/a.safetensors" -o "$T/q.safetensors" >"$T/conv.out" 2>&1
if grep -qE '[0-9],[0-9] (KiB|MiB|B)' "$T/conv.out"; then fail human_sizes_point "$(cat "$T/conv.out")"; else pass human_sizes_point; fi
