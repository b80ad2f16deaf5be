#!/bin/bash
# The TUI's convert dialog at 80x24 offers --to c for a Keras model as a
# person uses it: c, Right to "c", an output path ending in .c, Enter; then
# again with "weights=file" in the writer options. The files are the CLI's
# (cmp: the same engine path, whose predictions t_export_c.sh checks against
# TF.js), and the code compiles with -std=c99 -Wall -Wextra -Werror.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tui_lib.sh"
export TUI_W=80 TUI_H=24
need_shared tui_export_c || exit 0
M=$FIX/tfjs_layers/tfjsex-abalone/model.json

export_c() {  # TEST OUT.c [WRITER-OPTION]
    tui_keys c
    tui_wait "Convert" >/dev/null
    if pick_format c && tui_keys Down C-u && tui_type "$2" && { [ -z "${3:-}" ] || { to_field "more writer options" && tui_type "$3"; }; }; then
        tui_keys Enter
        if tui_wait "Done:" 20; then pass "$1"
        else fail "$1" "$(tail -5 "$T/screen" | tr '\n' ' ')"; fi
    else fail "$1" "c or the options field not reached: $(grep -E 'Format|Options' "$T/screen" | tr '\n' ' ')"; fi
    tui_keys Enter
    tui_wait "Layers" >/dev/null
}

tui_start -- "$M"
tui_wait "Layers" >/dev/null || fail tui_export_c "model screen did not appear"
export_c tui_export_c_done "$T/tui/abalone.c"
export_c tui_export_c_file_done "$T/tuif/abalone.c" "weights=file"
tui_keys q
tui_wait "EXIT:0" >/dev/null && pass tui_export_c_quit || fail tui_export_c_quit
tui_stop

"$CKPT" convert "$M" --to c -o "$T/cli/abalone.c" >/dev/null 2>&1
"$CKPT" convert "$M" --to c --weights file -o "$T/clif/abalone.c" >/dev/null 2>&1
if cmp -s "$T/tui/abalone.c" "$T/cli/abalone.c" && cmp -s "$T/tui/abalone.h" "$T/cli/abalone.h"; then
    pass tui_export_c_same_as_cli
else fail tui_export_c_same_as_cli "$(ls -l "$T/tui" "$T/cli" 2>&1 | tr '\n' ' ')"; fi
if [ -f "$T/tuif/abalone.bin" ] && cmp -s "$T/tuif/abalone.bin" "$T/clif/abalone.bin" &&
    cmp -s "$T/tuif/abalone.c" "$T/clif/abalone.c"; then pass tui_export_c_file_same_as_cli
else fail tui_export_c_file_same_as_cli "$(ls -l "$T/tuif" "$T/clif" 2>&1 | tr '\n' ' ')"; fi
check tui_export_c_compiles cc -std=c99 -Wall -Wextra -Werror -c "$T/tui/abalone.c" -o "$T/abalone.o"
