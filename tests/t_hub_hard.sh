#!/bin/bash
# `ckpt pull` under stress (issue 18), against the fake Hub on 127.0.0.1:
# a listing of 10^6 entries is handled (linear: the old quadratic duplicate
# check and one-by-one growth took hours; a generous timeout catches that),
# SIGTERM during that listing stops the pull promptly, and a read-only cache
# that already holds every file still gives its snapshot.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/hub_lib.sh"
start_hub --huge 1000000 || { fail hub_start "fake hub did not start"; exit 0; }

# ---- 10^6 listed files, one asked for -------------------------------------
timeout 300 "$CKPT" pull hf://org/huge --include config.json --quiet >"$T/out" 2>"$T/err"
rc=$?
snap=$(cat "$T/out")
[ $rc -eq 0 ] && [ "$(cat "$snap/config.json" 2>/dev/null)" = '{"model_type": "bert"}' ] \
    && pass huge_listing_pulled || fail huge_listing_pulled "exit $rc: $(head -c 300 "$T/err")"
logpy '
n = sum(1 for r in log if r["role"] == "hub" and "/tree/" in r["path"] and "org/huge" in r["path"])
assert n == 101, n          # 10^6 + 1 entries in pages of 10000: every page was read
' && pass huge_listing_every_page || fail huge_listing_every_page "pages"
trees=$(ls "$HF_HOME"/hub/models--org--huge/trees/*.json 2>/dev/null)
"$PY" - "$trees" <<'PY' && pass huge_tree_json_whole || fail huge_tree_json_whole "cached tree"
import sys, json
t = json.load(open(sys.argv[1]))
assert len(t["files"]) == 1000001 and "bulk/0999999.txt" in t["files"]
PY

# ---- SIGTERM while listing --------------------------------------------------
: >"$LOG"
HF_HOME=$T/hf2 "$CKPT" pull hf://org/huge --include config.json --quiet >"$T/out" 2>"$T/err" &
pid=$!
for _ in $(seq 1 600); do
    [ "$(grep -c '/tree/' "$LOG")" -ge 3 ] && break
    sleep 0.05
done
kill -TERM $pid
t0=$SECONDS
for _ in $(seq 1 100); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
if kill -0 $pid 2>/dev/null; then
    fail sigterm_honoured "still running 10 s after SIGTERM"; kill -9 $pid
fi
wait $pid; rc=$?
pages=$(grep -c '/tree/' "$LOG")
[ $rc -ne 0 ] && grep -q cancelled "$T/err" && [ "$pages" -lt 101 ] && pass sigterm_honoured \
    || fail sigterm_honoured "exit $rc after $pages pages: $(head -c 200 "$T/err")"

# ---- a read-only cache holding every file -----------------------------------
export HF_HOME=$T/ro
"$CKPT" pull hf://org/sharded --quiet >"$T/out1" 2>"$T/err" || fail ro_first_pull "$(cat "$T/err")"
chmod -R a-w "$T/ro"
chmod o+rx "$T"
# root ignores permissions: run the second pull as nobody
setpriv --reuid=65534 --regid=65534 --clear-groups "$CKPT" pull hf://org/sharded --quiet >"$T/out2" 2>"$T/err"
rc=$?
[ $rc -eq 0 ] && cmp -s "$T/out1" "$T/out2" && pass ro_cache_pull_ok || fail ro_cache_pull_ok "exit $rc: $(cat "$T/err")"
# and it really is read-only for that user
setpriv --reuid=65534 --regid=65534 --clear-groups sh -c ": > '$T/ro/hub/x'" 2>/dev/null \
    && fail ro_cache_is_readonly "nobody could write" || pass ro_cache_is_readonly
chmod -R u+w "$T/ro"
exit 0
