#!/bin/bash
# TUI on a Hub repo, against the fake Hub (tests/fakehub.py on 127.0.0.1):
# hf://org/sharded opens its sharded model (header reads only), q shows the
# repo's files with their formats, Enter opens one shard.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/hub_lib.sh"
source "$(dirname "$0")/tui_lib.sh"
start_hub || { fail tui_hub_start "fake hub did not start"; exit 0; }
trap 'kill $HUB_PID 2>/dev/null; tmux -L "$TM_SOCK" kill-server >/dev/null 2>&1; rm -rf "$T"' EXIT

# the reference: the shards' own headers, read by Python from the fixture
read -r ntensors nfirst <<<"$("$PY" - "$FIXDIR/org/sharded" <<'PYEOF'
import glob, json, os, struct, sys
n, first = 0, None
for f in sorted(glob.glob(os.path.join(sys.argv[1], "*.safetensors"))):
    b = open(f, "rb").read(); h = json.loads(b[8:8 + struct.unpack("<Q", b[:8])[0]]); h.pop("__metadata__", None)
    n += len(h)
    first = len(h) if first is None else first
print(n, first)
PYEOF
)"

tui_start HF_ENDPOINT="$HF_ENDPOINT" HF_HOME="$HF_HOME" -- hf://org/sharded
if tui_wait "Layers" 20 && tui_wait " $ntensors tensors"; then pass tui_hub_model
else fail tui_hub_model "the repo's model did not open with $ntensors tensors"; fi

tui_keys q
if tui_wait "hf://org/sharded" && tui_wait_re 'model-00001-of-00003.safetensors +safetensors +.* +'"$nfirst"'$' 20 \
    && tui_wait "README.md"; then pass tui_hub_files
else fail tui_hub_files "repo listing with formats"; fi

# select the first shard by its row on screen (row 0 is the third line)
row=$(grep -n 'model-00001-of-00003.safetensors' "$T/screen" | head -1 | cut -d: -f1)
tui_keys g
for i in $(seq 1 $((row - 3))); do tui_keys j; done
tui_keys Enter
if tui_wait " $nfirst tensors" 20 && tui_wait "model-00001-of-00003.safetensors"; then pass tui_hub_open_shard
else fail tui_hub_open_shard "shard did not open"; fi
tui_keys q
tui_wait "hf://org/sharded" >/dev/null
tui_keys q
tui_wait "EXIT:0" >/dev/null || fail tui_hub_quit "did not quit"

# Hub search from the browser: H, a query, Enter lists the matching repos
# (the reference: the fake Hub's public repos whose id holds the query);
# Enter lists a repo's files, h goes back to the results, then to the folder.
want=$("$PY" - "$FIXDIR/repos.json" <<'PYEOF'
import json, sys
r = json.load(open(sys.argv[1]))
# org/private is the fake Hub's private repo: search leaves it out
print(" ".join(sorted(k for k in r if "sha" in k and k != "org/private")))
PYEOF
)
nwant=$(echo $want | wc -w)
mkdir -p "$T/here"
tui_start HF_ENDPOINT="$HF_ENDPOINT" HF_HOME="$HF_HOME" -- "$T/here"
tui_wait "$T/here" >/dev/null
tui_keys H
tui_type sha
tui_keys Enter
ok=1
tui_wait "Hub search 'sha': $nwant repo" 20 >/dev/null || ok=0
for id in $want; do grep -q " $id/" "$T/screen" || ok=0; done
grep -q "org/private" "$T/screen" && ok=0
[ $ok = 1 ] && [ $nwant -gt 0 ] && pass tui_hub_search || fail tui_hub_search "wanted $want; screen: $(cat "$T/screen")"
# move to org/sharded and list its files
row=$(grep -n ' org/sharded/' "$T/screen" | head -1 | cut -d: -f1)
tui_keys g
for i in $(seq 1 $((row - 3))); do tui_keys j; done
tui_keys Enter
if tui_wait "hf://org/sharded" 20 && tui_wait "model-00001-of-00003.safetensors"; then pass tui_hub_search_open
else fail tui_hub_search_open "the repo's files did not show"; fi
tui_keys h
tui_wait "Hub search 'sha'" >/dev/null && pass tui_hub_search_back || fail tui_hub_search_back "no way back to the results"
tui_keys h
tui_wait "$T/here" >/dev/null && tui_wait " ../" >/dev/null && pass tui_hub_search_home \
    || fail tui_hub_search_home "no way back to the folder: $(head -3 "$T/screen")"
# o: go to a typed hf:// URL opens its model
tui_keys o
tui_type hf://org/sharded
tui_keys Enter
tui_wait " $ntensors tensors" 20 >/dev/null && tui_wait "Layers" >/dev/null && pass tui_goto_url \
    || fail tui_goto_url "hf://org/sharded did not open"
tui_keys Q
tui_wait "EXIT:0" >/dev/null || fail tui_hub_search_quit "did not quit"
