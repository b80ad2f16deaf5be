#!/bin/bash
# `ckpt pull` against the fake Hub (tests/fakehub.py on 127.0.0.1): the cache
# layout huggingface_hub uses, verification, resume, retries, offline mode.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/hub_lib.sh"
start_hub || { fail hub_start "fake hub did not start"; exit 0; }

# The layout, checked against huggingface_hub's documented cache structure
# (docs/source/en/guides/manage-cache.md): refs/main holds the commit,
# snapshots/<commit>/<path> are relative symlinks to blobs/<etag>, etag =
# sha256 for LFS files, git blob sha1 for the others; contents byte-equal.
layout_check() { # cache_dir repo [paths...]
    "$PY" - "$FIXDIR" "$@" <<'PYEOF'
import hashlib, json, os, sys
fix, cache, repo = sys.argv[1], sys.argv[2], sys.argv[3]
only = sys.argv[4:]
meta = json.load(open(os.path.join(fix, "repos.json")))[repo]
folder = os.path.join(cache, "models--" + repo.replace("/", "--"))
commit = open(os.path.join(folder, "refs", "main")).read()
assert commit == meta["commit"], ("refs/main", commit)
snap = os.path.join(folder, "snapshots", commit)
paths = only or list(meta["files"])
for p in paths:
    data = open(os.path.join(fix, repo, p), "rb").read()
    link = os.path.join(snap, p)
    assert os.path.islink(link), p + " is not a symlink"
    target = os.readlink(link)
    assert not os.path.isabs(target), p + " links absolutely"
    blob = os.path.normpath(os.path.join(os.path.dirname(link), target))
    assert os.path.dirname(blob) == os.path.join(folder, "blobs"), (p, blob)
    if meta["files"][p]["sha256"]:   # LFS: etag = sha256 of the content
        etag = hashlib.sha256(data).hexdigest()
    else:                            # regular: git blob sha1
        etag = hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
    assert os.path.basename(blob) == etag, (p, os.path.basename(blob), etag)
    assert open(blob, "rb").read() == data, p + " content differs"
left = [f for f in os.listdir(os.path.join(folder, "blobs")) if f.endswith(".incomplete")]
assert not left, left
if not only:
    files = set()
    for d, _, fs in os.walk(snap):
        files |= {os.path.relpath(os.path.join(d, f), snap) for f in fs}
    assert files == set(meta["files"]), files ^ set(meta["files"])
print("layout ok", len(paths))
PYEOF
}
CACHE() { echo "$HF_HOME/hub"; }

# ---- a full pull: layout, stdout = snapshot folder
"$CKPT" pull hf://org/sharded --quiet >"$T/pull.out" 2>"$T/pull.err"
rc=$?
[ $rc -eq 0 ] && pass hub_pull || fail hub_pull "exit $rc: $(head -c 400 "$T/pull.err")"
check hub_pull_layout layout_check "$(CACHE)" org/sharded
commit=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["org/sharded"]["commit"])' "$FIXDIR/repos.json")
[ "$(cat "$T/pull.out")" = "$(CACHE)/models--org--sharded/snapshots/$commit" ] && pass hub_pull_prints_snapshot \
    || fail hub_pull_prints_snapshot "$(cat "$T/pull.out")"
check hub_pull_parallel_multi logpy '
cdn = [r for r in log if r["role"] == "cdn" and r["status"] == 200]
assert len(cdn) >= 4, len(cdn)   # the LFS files came from the CDN port
'

# ---- cached files are used, not fetched again; ls reads the cache
: >"$LOG"
expect_exit 0 hub_pull_again "$CKPT" pull hf://org/sharded --quiet
expect_exit 0 hub_ls_after_pull "$CKPT" ls hf://org/sharded
check hub_cached_not_refetched logpy '
res = [r["path"] for r in log if "/resolve/" in r["path"] or r["role"] == "cdn"]
assert not res, res
'

# ---- progress as JSON lines, ending at the total
rm -rf "$HF_HOME"
"$CKPT" pull hf://org/sharded --include '*.json' --progress=json >/dev/null 2>"$T/prog.err"
check hub_progress_json "$PY" - "$T/prog.err" <<'PYEOF'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
assert ev and ev[-1]["bytes_done"] == ev[-1]["bytes_total"] > 0, ev[-1:]
assert ev[-1]["items_done"] == ev[-1]["items_total"] == 2, ev[-1]
# the listing's pages come first (phase "list", where SIGTERM is heard), then the download
ph = [e["phase"] for e in ev]
assert set(ph) <= {"list", "download"} and ph == sorted(ph, key=lambda p: p != "list"), ph
PYEOF
check hub_include_glob "$PY" - "$(CACHE)" <<'PYEOF'
import os, sys
snap = os.path.join(sys.argv[1], "models--org--sharded", "snapshots")
c = os.listdir(snap)[0]
got = sorted(os.listdir(os.path.join(snap, c)))
assert got == ["config.json", "model.safetensors.index.json"], got
PYEOF

# ---- offline: works from the cache alone, clear error for what is missing
: >"$LOG"
HF_HUB_OFFLINE=1 "$CKPT" ls hf://org/sharded >"$T/off.out" 2>"$T/off.err"
[ $? -eq 3 ] && grep -q "model-0000.-of-00003.safetensors" "$T/off.err" && grep -q "offline" "$T/off.err" \
    && pass hub_offline_missing || fail hub_offline_missing "$(cat "$T/off.out" "$T/off.err" | head -5)"
HF_HUB_OFFLINE=1 "$CKPT" pull hf://org/sharded >"$T/off.out" 2>"$T/off.err"
[ $? -eq 3 ] && grep -q "not in the cache" "$T/off.err" && grep -q "extra/lfs-blob.bin" "$T/off.err" \
    && pass hub_offline_pull_missing || fail hub_offline_pull_missing "$(cat "$T/off.err")"
expect_exit 0 hub_pull_rest "$CKPT" pull hf://org/sharded --quiet
: >"$LOG"
HF_HUB_OFFLINE=1 "$CKPT" ls hf://org/sharded >"$T/off.out" 2>"$T/off.err"
[ $? -eq 0 ] && grep -q "lm_head.weight" "$T/off.out" && pass hub_offline_ls || fail hub_offline_ls "$(cat "$T/off.err")"
expect_exit 0 hub_offline_pull "env" HF_HUB_OFFLINE=1 "$CKPT" pull hf://org/sharded
[ ! -s "$LOG" ] && pass hub_offline_no_requests || fail hub_offline_no_requests "$(wc -l <"$LOG") requests"

# ---- a dropped connection mid-body: resumed with Range from the byte reached
rm -rf "$HF_HOME"; : >"$LOG"
ctl 'kind=drop&match=lfs-blob&role=cdn&at=100000&count=1'
expect_exit 0 hub_drop_resumes "$CKPT" pull hf://org/sharded --include 'extra/*' --quiet
check hub_drop_range_continues logpy '
rs = [r for r in log if r["role"] == "cdn" and "lfs-blob" in r["path"]]
assert len(rs) == 2, [(r["range"], r["bytes"]) for r in rs]
assert rs[0]["range"] is None and rs[0]["bytes"] == 100000, rs[0]
assert rs[1]["range"] == "bytes=100000-", rs[1]["range"]
'
check hub_drop_layout layout_check "$(CACHE)" org/sharded extra/lfs-blob.bin
ctl reset=1

# ---- resume across runs: interrupt a slow download, run again
rm -rf "$HF_HOME"; : >"$LOG"
ctl 'kind=slow&match=lfs-blob&role=cdn&count=1'
"$CKPT" pull hf://org/sharded --include 'extra/*' --quiet >/dev/null 2>"$T/kill.err" &
pid=$!
inc=""
for _ in $(seq 100); do
    inc=$(ls "$(CACHE)"/models--org--sharded/blobs/*.incomplete 2>/dev/null | head -1)
    [ -n "$inc" ] && [ "$(stat -c %s "$inc")" -ge 65536 ] && break
    sleep 0.1
done
kill -TERM $pid; wait $pid; krc=$?
ctl reset=1
have=$([ -n "$inc" ] && [ -f "$inc" ] && stat -c %s "$inc" || echo 0)
[ "$krc" -ne 0 ] && [ "$have" -gt 0 ] && pass hub_interrupt_keeps_partial \
    || fail hub_interrupt_keeps_partial "exit $krc, partial $have bytes: $(cat "$T/kill.err")"
: >"$LOG"
expect_exit 0 hub_resume_next_run "$CKPT" pull hf://org/sharded --include 'extra/*' --quiet
check hub_resume_range logpy "
rs = [r for r in log if r['role'] == 'cdn' and 'lfs-blob' in r['path']]
assert rs and rs[0]['range'] == 'bytes=$have-', [r['range'] for r in rs]
"
check hub_resume_layout layout_check "$(CACHE)" org/sharded extra/lfs-blob.bin

# ---- wrong bytes: hash error, nothing left in the cache
rm -rf "$HF_HOME"; : >"$LOG"
ctl 'kind=wrong&match=model-00002&role=cdn&count=-1'
expect_exit 3 hub_wrong_bytes "$CKPT" pull hf://org/sharded --include 'model-00002*' --quiet
grep -q "sha256 mismatch" "$T/err" && pass hub_wrong_bytes_msg || fail hub_wrong_bytes_msg "$(cat "$T/err")"
check hub_wrong_bytes_nothing_left "$PY" - "$(CACHE)" <<'PYEOF'
import os, sys
folder = os.path.join(sys.argv[1], "models--org--sharded")
blobs = os.listdir(os.path.join(folder, "blobs")) if os.path.isdir(os.path.join(folder, "blobs")) else []
assert not blobs, blobs
for d, _, fs in os.walk(os.path.join(folder, "snapshots")):
    assert not [f for f in fs if "model-00002" in f], fs
PYEOF
ctl reset=1
ctl 'kind=wrong&match=config.json&count=-1'
expect_exit 3 hub_wrong_bytes_small "$CKPT" pull hf://org/sharded --include config.json --quiet
grep -q "git blob sha1 mismatch" "$T/err" && pass hub_wrong_bytes_small_msg || fail hub_wrong_bytes_small_msg "$(cat "$T/err")"
ctl reset=1

# ---- 500 then ok, 429 with Retry-After
rm -rf "$HF_HOME"; : >"$LOG"
ctl 'kind=500&match=config.json&count=2'
expect_exit 0 hub_retry_500 "$CKPT" pull hf://org/sharded --include config.json --quiet
check hub_retry_500_log logpy '
st = [r["status"] for r in log if "config.json" in r["path"]]
assert st == [500, 500, 200], st
'
: >"$LOG"
ctl 'kind=429&match=README&count=1&secs=1'
expect_exit 0 hub_retry_429 "$CKPT" pull hf://org/sharded --include README.md --quiet
check hub_retry_429_waits logpy '
rs = [r for r in log if "README" in r["path"]]
assert [r["status"] for r in rs] == [429, 200], [r["status"] for r in rs]
assert rs[1]["t"] - rs[0]["t"] >= 0.9, rs[1]["t"] - rs[0]["t"]
'
: >"$LOG"
ctl 'kind=500&match=lfs-blob&count=-1'
expect_exit 3 hub_retry_gives_up "$CKPT" pull hf://org/sharded --include 'extra/*' --quiet
grep -q "server error 500" "$T/err" && pass hub_retry_gives_up_msg || fail hub_retry_gives_up_msg "$(cat "$T/err")"
ctl reset=1

# ---- a stalled (trickling) connection is abandoned and resumed
: >"$LOG"
ctl 'kind=trickle&match=model-00001&role=cdn&count=1'
HF_HUB_DOWNLOAD_TIMEOUT=1 "$CKPT" pull hf://org/sharded --include 'model-00001*' --quiet >/dev/null 2>"$T/tr.err"
[ $? -eq 0 ] && pass hub_trickle_recovers || fail hub_trickle_recovers "$(cat "$T/tr.err")"
check hub_trickle_resumed logpy '
rs = [r for r in log if r["role"] == "cdn" and "model-00001" in r["path"]]
# the stalled request is logged only when its server thread gives up: look
# for the resumed one, which starts at the few bytes the trickle delivered
res = [r for r in rs if (r["range"] or "").startswith("bytes=") and r["status"] == 206]
assert res and 0 < int(res[0]["range"][6:-1]) < 5000, [(r["range"], r["bytes"]) for r in rs]
'
check hub_trickle_layout layout_check "$(CACHE)" org/sharded model-00001-of-00003.safetensors
ctl reset=1

# ---- private repo: the token goes to the Hub, never to the CDN it redirects to
: >"$LOG"
expect_exit 0 hub_pull_private env HF_TOKEN=hf_test_token "$CKPT" pull hf://org/private --quiet
check hub_pull_token_not_forwarded logpy '
hub = [r for r in log if r["role"] == "hub"]
cdn = [r for r in log if r["role"] == "cdn"]
assert cdn and hub
assert all(r["headers"].get("authorization") == "Bearer hf_test_token" for r in hub)
assert not any("authorization" in r["headers"] for r in cdn), [r["headers"] for r in cdn]
'
! grep -q hf_test_token "$T/out" "$T/err" && pass hub_pull_token_not_printed || fail hub_pull_token_not_printed "token printed"
expect_exit 3 hub_pull_private_no_token "$CKPT" pull hf://org/private --quiet
grep -q "HF_TOKEN" "$T/err" && pass hub_pull_private_hint || fail hub_pull_private_hint "$(cat "$T/err")"
