#!/bin/bash
# Remote inspection against the fake Hub (tests/fakehub.py on 127.0.0.1):
# header-only reads of a sharded safetensors repo, errors, auth, bad listings.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/hub_lib.sh"
start_hub || { fail hub_start "fake hub did not start"; exit 0; }

# ---- ls of a sharded repo: the names and shapes the shards' headers hold
"$CKPT" ls hf://org/sharded --json >"$T/ls.json" 2>"$T/ls.err"
rc=$?
if [ $rc -ne 0 ]; then fail hub_ls "exit $rc: $(head -c 300 "$T/ls.err")"; else
check hub_ls_matches_headers "$PY" - "$T/ls.json" "$FIXDIR/org/sharded" <<'PYEOF'
import json, struct, sys, glob, os
got = json.load(open(sys.argv[1]))
want = {}
for f in sorted(glob.glob(os.path.join(sys.argv[2], "*.safetensors"))):
    b = open(f, "rb").read()
    n = struct.unpack("<Q", b[:8])[0]
    for k, v in json.loads(b[8:8 + n]).items():
        if k != "__metadata__":
            want[k] = (v["dtype"], v["shape"])
g = {t["name"]: (t["dtype"], t["shape"]) for t in got["tensors"]}
assert g == want, (len(g), len(want))
print("ok", len(g))
PYEOF
fi

# ---- it transferred the headers, not the weights
check hub_ls_header_budget logpy '
hdr = sum(REPOS["org/sharded"]["headers"].values())
st = sum(r["bytes"] for r in log if ".safetensors" in r["path"] and ".index.json" not in r["path"])
total = sum(r["bytes"] for r in log)
weights = sum(v["size"] for p, v in REPOS["org/sharded"]["files"].items() if p.endswith(".safetensors"))
print("header bytes", hdr, "shard bytes read", st, "all bytes", total, "shard sizes", weights)
assert st < 2 * hdr, (st, hdr)
# everything else read (listing pages, index, config.json) is small too
assert total < 2 * hdr + 12000, total
'

# ---- tree pagination: every page was followed (4 entries a page)
check hub_tree_paginated logpy '
pages = [r for r in log if "/tree/" in r["path"] and "cursor=" in r["path"]]
assert pages, "no second page requested"
'

# ---- info and check work remotely; parameter count from the headers
"$CKPT" info hf://org/sharded --json >"$T/info.json" 2>"$T/info.err"
check hub_info_params "$PY" - "$T/info.json" "$FIXDIR/org/sharded" <<'PYEOF'
import json, struct, sys, glob, os, math
info = json.load(open(sys.argv[1]))
n = 0
for f in glob.glob(os.path.join(sys.argv[2], "*.safetensors")):
    b = open(f, "rb").read()
    h = json.loads(b[8:8 + struct.unpack("<Q", b[:8])[0]])
    n += sum(math.prod(v["shape"]) for k, v in h.items() if k != "__metadata__")
assert info["parameters"] == n, (info.get("parameters"), n)
assert info["format"] == "safetensors"
PYEOF
expect_exit 0 hub_check_remote "$CKPT" check hf://org/sharded

# ---- one file by path, and the https URL form
"$CKPT" ls hf://org/sharded/model-00002-of-00003.safetensors --json >"$T/one.json" 2>&1
check hub_ls_one_shard "$PY" - "$T/one.json" "$FIXDIR/org/sharded/model-00002-of-00003.safetensors" <<'PYEOF'
import json, struct, sys
b = open(sys.argv[2], "rb").read()
h = json.loads(b[8:8 + struct.unpack("<Q", b[:8])[0]])
names = [t["name"] for t in json.load(open(sys.argv[1]))["tensors"]]
assert sorted(names) == sorted(k for k in h if k != "__metadata__")
PYEOF
expect_exit 0 hub_https_url "$CKPT" ls "$HF_ENDPOINT/org/sharded/resolve/main/model-00001-of-00003.safetensors"
expect_exit 0 hub_revision_tag "$CKPT" ls hf://org/sharded@v1.0

# ---- errors: unknown repo, revision, file
expect_exit 3 hub_unknown_repo "$CKPT" ls hf://org/nope
grep -qi "not found\|authentication" "$T/err" && pass hub_unknown_repo_msg || fail hub_unknown_repo_msg "$(cat "$T/err")"
expect_exit 3 hub_unknown_revision "$CKPT" ls hf://org/sharded@nope
grep -q "revision not found" "$T/err" && pass hub_unknown_revision_msg || fail hub_unknown_revision_msg "$(cat "$T/err")"
expect_exit 3 hub_unknown_file "$CKPT" ls hf://org/sharded/missing.safetensors
grep -q "missing.safetensors" "$T/err" && pass hub_unknown_file_msg || fail hub_unknown_file_msg "$(cat "$T/err")"
expect_exit 2 hub_bad_url "$CKPT" ls "hf://org/na me"

# ---- private repo: 401 without a token says how to give one; with it, works
: >"$LOG"
expect_exit 3 hub_private_no_token "$CKPT" ls hf://org/private
grep -q "HF_TOKEN" "$T/err" && grep -q "HF_HOME/token" "$T/err" && pass hub_private_token_hint \
    || fail hub_private_token_hint "$(cat "$T/err")"
: >"$LOG"
HF_TOKEN=hf_test_token "$CKPT" ls hf://org/private >"$T/priv.out" 2>"$T/priv.err"
[ $? -eq 0 ] && grep -q "model.embed_tokens.weight" "$T/priv.out" && pass hub_private_with_token \
    || fail hub_private_with_token "$(cat "$T/priv.err")"
check hub_token_not_sent_to_cdn logpy '
hub = [r for r in log if r["role"] == "hub"]
cdn = [r for r in log if r["role"] == "cdn"]
assert cdn, "no CDN request (the LFS redirect was not followed)"
assert all(r["headers"].get("authorization") == "Bearer hf_test_token" for r in hub), "hub requests without the token"
assert not any("authorization" in r["headers"] for r in cdn), "token sent to the CDN"
assert not any("hf_test_token" in json.dumps(r["headers"]) for r in cdn)
'
mkdir -p "$HF_HOME" && printf 'hf_test_token\n' >"$HF_HOME/token"
expect_exit 0 hub_token_file "$CKPT" ls hf://org/private
rm -f "$HF_HOME/token"
! grep -rq hf_test_token "$T/priv.out" "$T/priv.err" "$T/out" "$T/err" && pass hub_token_never_printed \
    || fail hub_token_never_printed "the token appears in ckpt's output"

# ---- a listing entry escaping the snapshot folder is refused
expect_exit 3 hub_listing_escape "$CKPT" ls hf://org/evil
grep -q "escapes the snapshot" "$T/err" && pass hub_listing_escape_msg || fail hub_listing_escape_msg "$(cat "$T/err")"
[ ! -e "$T/escape.txt" ] && [ ! -e "$HF_HOME/hub/escape.txt" ] && pass hub_listing_escape_nothing_written \
    || fail hub_listing_escape_nothing_written "a file was written outside"

# ---- malformed JSON from the API
ctl 'kind=badjson&match=/tree/&count=1'
expect_exit 3 hub_malformed_json "$CKPT" ls hf://org/sharded@v1.0
grep -qi "malformed" "$T/err" && pass hub_malformed_json_msg || fail hub_malformed_json_msg "$(cat "$T/err")"
ctl reset=1


# ---- search: the public repos whose id holds the text (the reference: the
# fake Hub's repo list; org/private is its private repo and stays hidden)
"$CKPT" search org --json >"$T/s.json" 2>"$T/err"; rc=$?
"$PY" - "$T/s.json" "$FIXDIR/repos.json" <<'PYEOF' && [ $rc = 0 ] && pass hub_search_json || fail hub_search_json "rc=$rc $(cat "$T/err")"
import json, sys
got = json.load(open(sys.argv[1]))
want = sorted(k for k in json.load(open(sys.argv[2])) if "org" in k and k != "org/private")
assert sorted(got) == want, (got, want)
PYEOF
"$CKPT" search shard >"$T/out" 2>"$T/err"
[ "$(cat "$T/out")" = "hf://org/sharded" ] && pass hub_search_text || fail hub_search_text "$(cat "$T/out" "$T/err")"
expect_exit 1 hub_search_none "$CKPT" search no-such-model-xyz
expect_exit 2 hub_search_usage "$CKPT" search
logpy '
assert any("/api/models" in r.get("path", "") and "search=shard" in r.get("path", "") for r in log), "no search request logged"
' && pass hub_search_request || fail hub_search_request "the search did not reach /api/models?search="
