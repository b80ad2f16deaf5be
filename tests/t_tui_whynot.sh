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

# whynot TAG FILE: the CLI's refusals (FORMAT<TAB>reason, for every writable
# format), then the dialog's count and its `w` list for the same file
whynot() {
local tag=$1 M=$2
"$CKPT" formats | awk 'NR > 1 && $2 ~ /w/ {print $1}' > "$T/writable"
: > "$T/refused"
while read -r f; do
    if ! "$CKPT" convert "$M" --to "$f" -o "$T/probe.$f" --quiet 2>"$T/why.err"; then
        why=$(sed -n 's/^ckpt: [^:]*: //p' "$T/why.err" | head -1)
        [ -n "$why" ] && printf '%s\t%s\n' "$f" "$why" >> "$T/refused"
    fi
done < "$T/writable"
n=$(wc -l < "$T/refused")
[ "$n" -ge 3 ] && pass ${tag}_reference || fail ${tag}_reference "only $n refused formats: $(cat "$T/refused")"

tui_start -- "$M"
tui_wait "Layers" >/dev/null || fail $tag "model screen did not appear"
tui_keys c
tui_wait "Convert" >/dev/null
if tui_wait "$n more formats not offered for this model: w lists why" >/dev/null; then pass ${tag}_hint
else fail ${tag}_hint "$(grep -i "offered" "$T/screen")"; fi
tui_keys w
tui_wait "not offered for this model" >/dev/null
# the screen's text with the box borders and wrapping taken out; when the
# list does not fit, Down scrolls it a reason at a time, each screen added
flat=$(sed -e 's/^ *│ //' -e 's/ *│ *$//' "$T/screen" | tr '\n' ' ' | tr -s ' ')
local k=0
while grep -q "more · any other key closes" "$T/screen" && [ $k -lt $n ]; do
    local before=$(md5sum < "$T/screen")
    tui_keys Down; k=$((k + 1))
    for _ in 1 2 3 4 5 6 7 8 9 10; do tui_screen >/dev/null; [ "$(md5sum < "$T/screen")" != "$before" ] && break; sleep 0.1; done
    flat="$flat $(sed -e 's/^ *│ //' -e 's/ *│ *$//' "$T/screen" | tr '\n' ' ' | tr -s ' ')"
    [ "$(md5sum < "$T/screen")" = "$before" ] && break
done
if [ "${WANT_SCROLL:-0}" = 1 ]; then
    [ $k -gt 0 ] && pass ${tag}_scrolls || fail ${tag}_scrolls "the list fit, or had no 'more'"
fi
ok=1
while IFS=$'\t' read -r f why; do
    want=$(printf '%s: %s' "$f" "$why" | tr -s ' ')
    case "$flat" in *"$want"*) ;; *) ok=0; echo "missing on screen: $want" ;; esac
done < "$T/refused"
[ $ok = 1 ] && pass ${tag}_list || fail ${tag}_list "see above; screen: $(cat "$T/screen")"
tui_keys x
tui_wait "Format" >/dev/null && ! grep -q "any key closes" "$T/screen" && pass ${tag}_closes || fail ${tag}_closes "$(cat "$T/screen")"
tui_keys Escape q
}

whynot tui_whynot "$M"
# A subclassed Keras model has a config but no layer graph: the code
# exporters refuse it, so the dialog must not offer them either.
if need_shared tui_whynot_subclassed; then
    cp "$FIX/keras3_keras/keras-nested_container/pre_pr22362_nested_container.keras" "$T/sub.keras"
    whynot tui_whynot_subclassed "$T/sub.keras"
    # on a shorter terminal the same list scrolls, and every reason is reached
    TUI_H=16 WANT_SCROLL=1 whynot tui_whynot_short "$T/sub.keras"
    grep -q "^numpy	.*layer graph" "$T/refused" && grep -q "^c	.*layer graph" "$T/refused" &&
        pass tui_whynot_code_export || fail tui_whynot_code_export "$(cat "$T/refused")"
fi
