#!/bin/bash
# TUI terminal manners in tmux: LANG=C gives ASCII glyphs, NO_COLOR gives
# no colours, every shipped theme loads without a warning, a broken theme
# says where and falls back, user themes are found, 80x24 after a resize
# stays sane, a corrupt file shows its error and the browser keeps working,
# Ctrl-C restores the terminal, and without a terminal `ckpt PATH` prints info.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tui_lib.sh"

M=$T/small.safetensors
gen_model "$M" "$SMALL_SPEC"
need_reader tui_terminal "$M" || exit 0

# ---- LANG=C: ASCII tree glyphs, no UTF-8 bytes on screen
tui_start LC_ALL=C LANG=C -- small.safetensors
if tui_wait "Layers"; then
    tui_keys g l
    if tui_wait_re '`-weight +F32 \[16, 8\]' && tui_wait_re '^> encoder'; then
        if LC_ALL=C grep -q "$(printf '[\x80-\xff]')" "$T/screen"; then fail tui_lang_c_ascii "non-ASCII bytes on screen"
        else pass tui_lang_c_ascii; fi
    else fail tui_lang_c_ascii "ASCII tree glyphs missing"; fi
else fail tui_lang_c_ascii "did not start under LANG=C"; fi
tui_keys q
tui_wait "EXIT:0" >/dev/null

# ---- colours: on by default, off with NO_COLOR (attributes only)
sgr_colours() { # count SGR colour parameters (30-37, 39-47, 38;5, 48;5, 90-107) in a capture with escapes
    $TM capture-pane -p -e -t tui | grep -oE $'\e\\[[0-9;]*m' | tr -d '\033[m' | tr ';' '\n' \
        | grep -cE '^(3[0-8]|4[0-8]|9[0-7]|10[0-7])$'
}
tui_start -- small.safetensors
tui_wait "Layers" >/dev/null
c1=$(sgr_colours)
tui_keys q; tui_wait "EXIT:0" >/dev/null
tui_start NO_COLOR=1 -- small.safetensors
tui_wait "Layers" >/dev/null
c2=$(sgr_colours)
rev=$($TM capture-pane -p -e -t tui | grep -cE $'\e\\[[0-9;]*7[;m]')
if [ "$c1" -gt 0 ] && [ "$c2" -eq 0 ] && [ "$rev" -gt 0 ]; then pass tui_no_color
else fail tui_no_color "colour codes: default $c1, NO_COLOR $c2 (want >0 and 0), reverse rows $rev"; fi
tui_keys t
tui_wait "colours are off" >/dev/null && pass tui_no_color_theme_key || fail tui_no_color_theme_key "t under NO_COLOR"
tui_keys q; tui_wait "EXIT:0" >/dev/null

# ---- every shipped theme loads with no warning (and changes the colours)
for f in "$ROOT"/themes/*.theme; do
    name=$(basename "$f" .theme)
    tui_start -- --theme "$name" small.safetensors
    if tui_wait "Layers"; then
        last=$(tail -n 1 "$T/screen")
        if echo "$last" | grep -qiE "theme:|theme '|using default|not found"; then fail "tui_theme_$name" "warning: $last"
        else pass "tui_theme_$name"; fi
    else fail "tui_theme_$name" "did not start"; fi
    tui_keys q; tui_wait "EXIT:0" >/dev/null
done

# ---- 256-colour themes fall back to 8 colours where the terminal has only 8
c256() { $TM capture-pane -p -e -t tui | grep -oE $'\e\\[[0-9;]*m' | grep -cE '[34]8;5;'; }
tui_start -- --theme dark small.safetensors
tui_wait "Layers" >/dev/null
n256=$(c256)
tui_keys q; tui_wait "EXIT:0" >/dev/null
tui_start TERM=xterm -- --theme dark small.safetensors
tui_wait "Layers" >/dev/null
n8=$(c256); n8c=$(sgr_colours)
if [ "$n256" -gt 0 ] && [ "$n8" -eq 0 ] && [ "$n8c" -gt 0 ] && ! tail -n 1 "$T/screen" | grep -qiE "theme:|using default"; then
    pass tui_theme_8_colour_fallback
else fail tui_theme_8_colour_fallback "256-colour codes: $n256 on xterm-256color, $n8 on xterm (colours $n8c)"; fi
tui_keys q; tui_wait "EXIT:0" >/dev/null

# ---- a broken theme: FILE:LINE message, default colours, still usable
printf 'color header white blue bold\ncolor nosuch red blue\n' >"$T/bad.theme"
tui_start -- --theme "$T/bad.theme" small.safetensors
if tui_wait "bad.theme:2: unknown element 'nosuch'; using default"; then
    tui_keys g l
    tui_wait_re 'weight +F32 \[16, 8\]' >/dev/null && pass tui_broken_theme || fail tui_broken_theme "not usable after the warning"
else fail tui_broken_theme "no clear message"; fi
tui_keys q; tui_wait "EXIT:0" >/dev/null
tui_start -- --theme nosuchtheme small.safetensors
tui_wait "theme 'nosuchtheme' not found" && pass tui_missing_theme || fail tui_missing_theme "no message"
tui_keys q; tui_wait "EXIT:0" >/dev/null

# ---- user themes from $XDG_CONFIG_HOME/ckpt/themes, and t cycles to them
mkdir -p "$T/xdg/ckpt/themes"
printf 'color header black green bold\n' >"$T/xdg/ckpt/themes/zz-mine.theme"
tui_start XDG_CONFIG_HOME="$T/xdg" -- --theme zz-mine small.safetensors
if tui_wait "Layers" && ! tail -n 1 "$T/screen" | grep -qiE "theme:|theme '|using default|not found"; then
    tui_keys t
    tui_wait "theme: default" >/dev/null && pass tui_user_theme || fail tui_user_theme "t did not cycle after zz-mine"
else fail tui_user_theme "user theme not loaded cleanly"; fi
tui_keys q; tui_wait "EXIT:0" >/dev/null

# ---- resize to 80x24: sane layout (header, tree, detail, hints; nothing wider than 80)
tui_start -- small.safetensors
tui_wait "Layers" >/dev/null
tui_keys g l
tui_wait_re 'weight +F32 \[16, 8\]' >/dev/null
$TM resize-window -t tui -x 80 -y 24
ok=0
for i in $(seq 1 100); do
    tui_screen >/dev/null
    if [ "$(wc -l <"$T/screen")" -eq 24 ] && head -1 "$T/screen" | grep -q "small.safetensors" \
        && tail -1 "$T/screen" | grep -q "help" && grep -qE 'weight +F32 \[16, 8\]' "$T/screen" \
        && grep -qE '│ Group *$' "$T/screen"; then ok=1; break; fi
    sleep 0.05
done
wide=$(awk '{ if (length($0) > 80) n++ } END { print n + 0 }' "$T/screen")
if [ $ok -eq 1 ] && [ "$wide" -eq 0 ]; then pass tui_resize_80x24
else fail tui_resize_80x24 "screen after resize: $(tr '\n' '|' <"$T/screen")"; fi
# help overlay fits too
tui_keys '?'
tui_wait "Keys (q or Esc closes)" >/dev/null && tui_keys q
# ---- Ctrl-C quits and restores the terminal
tui_keys C-c
if tui_wait "EXIT:" && sleep 0.2 && grep -q ' icanon' "$T/stty.txt" && grep -q ' echo ' "$T/stty.txt"; then
    pass tui_ctrl_c_restores
else fail tui_ctrl_c_restores "stty: $(cat "$T/stty.txt" 2>/dev/null)"; fi

# ---- a corrupt file: its one-line error, and the browser still works
mkdir -p "$T/models"
cp "$M" "$T/models/good.safetensors"
head -c 100 /dev/urandom >"$T/models/bad.safetensors"
head -c 3000 "$M" >"$T/models/truncated.safetensors"
tui_start -- models/truncated.safetensors
if tui_wait "truncated.safetensors:" && tui_wait_re 'good.safetensors +safetensors +7.62 KiB +16$'; then pass tui_bad_file_error
else fail tui_bad_file_error "no error line for a file that does not open"; fi
# rows: ../, bad, good, truncated. Enter on bad: its error; then good opens
tui_keys g j Enter
if tui_wait "bad.safetensors: at byte 0"; then
    tui_keys j Enter
    tui_wait "16 tensors" && pass tui_browser_after_error || fail tui_browser_after_error "good model did not open"
else fail tui_browser_after_error "no error for bad.safetensors"; fi
tui_keys q
tui_wait "good.safetensors" >/dev/null
tui_keys q
tui_wait "EXIT:0" >/dev/null || fail tui_browser_quit "q from the browser did not quit"
tui_stop

# ---- no argument: the browser on the current folder, with format, size and count filled in
tui_start --
if tui_wait_re 'small.safetensors +safetensors +7.62 KiB +16$' && tui_wait_re '^ models/'; then pass tui_browser_cwd
else fail tui_browser_cwd "browser rows"; fi
tui_keys q
tui_wait "EXIT:0" >/dev/null
tui_stop

# ---- no terminal: ckpt PATH prints info, never starts curses
"$CKPT" "$M" >"$T/info.out" 2>"$T/info.err" </dev/null
rc=$?
if [ $rc -eq 0 ] && grep -q safetensors "$T/info.out" && ! grep -q $'\e\\[' "$T/info.out"; then pass tui_not_a_tty_prints_info
else fail tui_not_a_tty_prints_info "rc $rc: $(head -3 "$T/info.out" "$T/info.err" | tr '\n' ' ')"; fi
