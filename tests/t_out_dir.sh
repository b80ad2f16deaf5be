#!/bin/bash
# t_out_dir: -o naming a folder (missing and ending in '/', or existing) for
# the writers of one file: the output lands inside it under the format's
# file name, byte-identical (cmp) to the same conversion given that file name
# outright, and nothing named like the folder is left as a file.
source "$(dirname "$0")/lib.sh"
need_shared out_dir || exit 0
K=$FIX/keras2_h5/konverter-rnn_model/rnn_model.h5
GG=$FIX/gguf/ollama-llama-2-tiny-random/llama-2-tiny-random.gguf
FM=$FIX/tfjs_graph/human-facemesh/facemesh.json
export SOURCE_DATE_EPOCH=1700000000

# case FORMAT INPUT FILES...: FILES are what the folder must hold, the first
# one the name given outright in the reference run
case_dir() {
    local to=$1 in=$2; shift 2
    local ref=$T/ref.$to miss=$T/miss.$to ex=$T/exist.$to f
    rm -rf "$ref" "$miss" "$ex"; mkdir -p "$ref" "$ex"
    "$CKPT" convert "$in" --to "$to" -o "$ref/$1" --quiet 2>"$T/err" ||
        { fail "ref_$to" "$(head -c 300 "$T/err")"; return; }
    "$CKPT" convert "$in" --to "$to" -o "$miss/" --quiet 2>"$T/err" ||
        { fail "missing_dir_$to" "$(head -c 300 "$T/err")"; return; }
    "$CKPT" convert "$in" --to "$to" -o "$ex" --quiet 2>"$T/err" ||
        { fail "existing_dir_$to" "$(head -c 300 "$T/err")"; return; }
    local want got1 got2
    want=$(printf '%s\n' "$@" | sort | tr '\n' ' ')
    got1=$(ls "$miss" | sort | tr '\n' ' '); got2=$(ls "$ex" | sort | tr '\n' ' ')
    [ -d "$miss" ] && [ "$got1" = "$want" ] && [ "$got2" = "$want" ] ||
        { fail "files_$to" "want '$want', got '$got1' and '$got2'"; return; }
    for f in "$@"; do
        cmp -s "$ref/$f" "$miss/$f" && cmp -s "$ref/$f" "$ex/$f" ||
            { fail "same_bytes_$to" "$f differs from the named run"; return; }
    done
    pass "out_dir_$to"
}

case_dir gguf "$GG" model.gguf
case_dir keras "$K" model.keras
case_dir keras-weights "$K" model.weights.h5
case_dir numpy "$K" model.py model.npz
case_dir c "$K" model.c model.h
case_dir package "$K" model.zip
case_dir tf-frozen "$FM" model.pb
case_dir torch "$K" pytorch_model.bin
case_dir npz "$K" model.npz
case_dir safetensors "$K" model.safetensors

# --package zip around another writer names the zip, not the weights inside
rm -rf "$T/pk"; "$CKPT" convert "$K" --to safetensors --package zip -o "$T/pk/" --quiet
[ -f "$T/pk/model.zip" ] && $PY -c 'import sys, zipfile; n = zipfile.ZipFile(sys.argv[1]).namelist(); sys.exit(0 if "model.safetensors" in n else 1)' "$T/pk/model.zip" &&
    pass package_opt_dir || fail package_opt_dir "$(ls -R "$T/pk" 2>&1)"

# a file where the folder would be is an error, not overwritten
echo keep > "$T/plain"
"$CKPT" convert "$GG" --to gguf -o "$T/plain/" --quiet 2>"$T/err"
rc=$?; [ $rc -ne 0 ] && [ "$(cat "$T/plain")" = keep ] && [ "$(wc -l < "$T/err")" -eq 1 ] &&
    pass file_in_the_way || fail file_in_the_way "rc $rc: $(cat "$T/err")"
