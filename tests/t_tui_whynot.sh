#!/bin/bash
# The convert dialog at 80x24 says why the other writers are not offered, as
# a person sees it: when the reasons do not fit under the Format field, a
# count and `w`; `w` lists each not-offered format with its whole reason. The
# reference is the CLI: `ckpt convert --to F` refuses each with that reason.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tui_lib.sh"
export PYTHONPATH=$ROOT/tests TUI_W=80 TUI_H=24
M=$T/small.safetensors
gen_model "$M" "$SMALL_SPEC"

# the CLI's refusals: FORMAT<TAB>reason, for every writable format
"$CKPT" formats | awk 'NR > 1 && $2 ~ /w/ {print $1}' > "$T/writable"
: > "$T/refused"
while read -r f; do
    if ! "$CKPT" convert "$M" --to "$f" -o "$T/probe.$f" --quiet 2>"$T/why.err"; then
        why=$(sed -n 's/^ckpt: [^:]*: //p' "$T/why.err" | head -1)
        [ -n "$why" ] && printf '%s\t%s\n' "$f" "$why" >> "$T/refused"
    fi
done < "$T/writable"
n=$(wc -l < "$T/refused")
[ "$n" -ge 3 ] && pass tui_whynot_reference || fail tui_whynot_reference "only $n refused formats: $(cat "$T/refused")"

tui_start -- small.safetensors
tui_wait "Layers" >/dev/null || fail tui_whynot "model screen did not appear"
tui_keys c
tui_wait "Convert" >/dev/null
if tui_wait "$n more formats not offered for this model: w lists why" >/dev/null; then pass tui_whynot_hint
else fail tui_whynot_hint "$(grep -i "offered" "$T/screen")"; fi
tui_keys w
tui_wait "not offered for this model" >/dev/null
# the screen's text with the box borders and wrapping taken out
flat=$(sed -e 's/^ *│ //' -e 's/ *│ *$//' "$T/screen" | tr '\n' ' ' | tr -s ' ')
ok=1
while IFS=$'\t' read -r f why; do
    want=$(printf '%s: %s' "$f" "$why" | tr -s ' ')
    case "$flat" in *"$want"*) ;; *) ok=0; echo "missing on screen: $want" ;; esac
done < "$T/refused"
[ $ok = 1 ] && pass tui_whynot_list || fail tui_whynot_list "see above; screen: $(cat "$T/screen")"
tui_keys x
tui_wait "Format" >/dev/null && ! grep -q "any key closes" "$T/screen" && pass tui_whynot_closes || fail tui_whynot_closes "$(cat "$T/screen")"
tui_keys Escape q
