#!/bin/bash
# TUI model summary (i) at 80x24: a GGUF chat template, kept byte for byte by
# the reader (t_check_kinds compares it with the file), is shown escaped (a
# tab as \t, a newline as \n) in at most 3 wrapped lines, and the screen
# keeps its layout below it.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tui_lib.sh"
export PYTHONPATH=$ROOT/tests
"$PY" - "$T" <<'PY'
import sys
import numpy as np
import ggufref
line = "{%- for m in messages %}\t{{ '<|im_start|>' + m['role'] }}{% endfor %}\n"
tpl = "".join("%04d %s" % (i, line) for i in range(150))
ggufref.write(sys.argv[1] + "/chat.gguf", [("general.architecture", ggufref.STR, "llama"),
              ("tokenizer.chat_template", ggufref.STR, tpl), ("general.name", ggufref.STR, "two\nlines")],
              [("tok_embd.weight", 0, (4, 2), np.arange(8, dtype="<f4").tobytes())])
PY
need_reader tui_meta "$T/chat.gguf" || exit 0
TUI_W=80 TUI_H=24 tui_start -- chat.gguf
tui_wait "Layers" >/dev/null
tui_keys i
if tui_wait "tokenizer.chat_template" && tui_wait "0000 {%- for m in messages" && tui_wait_re '%\}\\t\{\{'; then
    pass tui_meta_template_escaped
else fail tui_meta_template_escaped "$(cat "$T/screen")"; fi
# the newline shows as \n, never as a line of its own; the name fact likewise
if ! grep -q '^ *0001 {%-' "$T/screen" && ! grep -qx ' *lines *' "$T/screen" && tui_wait 'two\nlines'; then
    pass tui_meta_no_raw_newline
else fail tui_meta_no_raw_newline "$(cat "$T/screen")"; fi
tui_keys q; tui_keys q
tui_wait "EXIT:0" >/dev/null || fail tui_meta_quit "did not quit"
