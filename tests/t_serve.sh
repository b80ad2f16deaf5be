# ckpt serve: Cog's prediction API against the fake Hub (tests/fakehub.py) on
# 127.0.0.1, a repo holding a real Keras .h5 (../shared/fixtures/real). The
# returned zip is decoded by Python's zipfile and its weights compared with
# h5py's; async predictions post to a webhook listener in this test; 50
# concurrent requests with --jobs 2 each succeed or get 503 + Retry-After;
# bad requests get a 4xx with a message; SIGTERM mid-job leaves no output.
source "$(dirname "$0")/lib.sh"
source "$ROOT/tests/hub_lib.sh"
need_shared serve || exit 0
H5=$FIX/keras2_h5/konverter-rnn_model/rnn_model.h5
mkdir -p "$T/r1" "$T/r2" "$T/r3" "$T/root" "$T/outd"
ln -s "$H5" "$T/r1/rnn_model.h5"
printf '{"note": "not the model"}\n' >"$T/r1/config.json"
ln -s "$H5" "$T/r2/a.h5"; ln -s "$H5" "$T/r2/b.h5"
ln -s "$H5" "$T/r3/slow_model.h5"
cp "$H5" "$T/root/local.h5"; ln -s "$H5" "$T/root/link_out.h5"
start_hub --serve org/rnn="$T/r1" --serve org/two="$T/r2" --serve org/slow="$T/r3" || { fail serve_hub "fake hub did not start"; exit 0; }
ctl 'kind=trickle&match=slow_model.h5&count=-1'
export HF_TOKEN=hf_secret_never_echoed_42

# a webhook listener: every POST body appended as one line to $T/hooks
$PY - "$T/hooks" >"$T/hook.port" 2>/dev/null <<'PY' &
import sys, http.server
out = sys.argv[1]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        b = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with open(out, "ab") as f: f.write(b.replace(b"\n", b" ") + b"\n")
        self.send_response(200); self.end_headers()
    def log_message(self, *a): pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
PY
HOOK_PID=$!
start_serve() {  # LOGFILE ARGS...: sets URL and SERVE_PID
    local log=$1; shift
    "$CKPT" serve --listen 127.0.0.1:0 "$@" 2>"$log" &
    SERVE_PID=$!
    URL=
    for _ in $(seq 100); do URL=$(grep -o '"url":"[^"]*"' "$log" 2>/dev/null | head -1 | cut -d'"' -f4); [ -n "$URL" ] && break; sleep 0.1; done
}
start_serve "$T/serve.log" --jobs 2 --root "$T/root"
trap 'kill $SERVE_PID $HOOK_PID $HUB_PID 2>/dev/null; rm -rf "$T"' EXIT
for _ in $(seq 50); do [ -s "$T/hook.port" ] && break; sleep 0.1; done
HOOK=http://127.0.0.1:$(cat "$T/hook.port")/hook
[ -n "$URL" ] && pass serve_listens_on_loopback || { fail serve_listens_on_loopback "$(cat "$T/serve.log")"; exit 0; }
case $URL in http://127.0.0.1:*) pass serve_default_loopback;; *) fail serve_default_loopback "$URL";; esac

# the HTTP client: req METHOD PATH [BODY] [HEADER...] prints "STATUS\nHEADERS-JSON\nBODY"
cat >"$T/req.py" <<'PY'
import json, sys, urllib.request, urllib.error
url, method, path = sys.argv[1:4]
body = sys.argv[4].encode() if len(sys.argv) > 4 and sys.argv[4] != "-" else None
r = urllib.request.Request(url + path, data=body, method=method, headers={"Content-Type": "application/json"})
for h in sys.argv[5:]:
    k, v = h.split(":", 1); r.add_header(k.strip(), v.strip())
try:
    resp = urllib.request.urlopen(r, timeout=120); st, hd, b = resp.status, dict(resp.headers), resp.read()
except urllib.error.HTTPError as e:
    st, hd, b = e.code, dict(e.headers), e.read()
print(st); print(json.dumps(hd)); sys.stdout.write(b.decode())
PY
req() { $PY "$T/req.py" "$URL" "$@"; }

# --- a synchronous prediction: the zip, its files, weights equal to h5py's
req POST /predictions '{"input": {"huggingface_repo": "org/rnn", "model_type": "text_classifier"}}' >"$T/sync.out"
$PY - "$T/sync.out" "$H5" <<'PY' && pass serve_sync_zip_matches_h5py || fail serve_sync_zip_matches_h5py "$(head -c 600 "$T/sync.out")"
import base64, io, json, struct, sys, zipfile
import h5py, numpy as np
lines = open(sys.argv[1]).read().split("\n", 2)
assert lines[0] == "200", lines[0]
p = json.loads(lines[2])
assert p["status"] == "succeeded" and p["error"] is None, p.get("error")
assert p["metrics"]["predict_time"] > 0 and p["input"]["huggingface_repo"] == "org/rnn"
assert "verified 10 tensors" in p["logs"], p["logs"]
pre = "data:application/zip;base64,"
assert p["output"].startswith(pre)
z = zipfile.ZipFile(io.BytesIO(base64.b64decode(p["output"][len(pre):])))
assert sorted(z.namelist()) == ["README.md", "config.json", "model.safetensors"], z.namelist()
cfg = json.loads(z.read("config.json"))
assert cfg["metadata"]["model_type"] == "text_classifier"
b = z.read("model.safetensors")
hl = struct.unpack("<Q", b[:8])[0]
hd = {k: v for k, v in json.loads(b[8:8 + hl]).items() if k != "__metadata__"}
f = h5py.File(sys.argv[2], "r")
want = {}
f["model_weights"].visititems(lambda k, v: want.__setitem__(k, v[()]) if isinstance(v, h5py.Dataset) else None)
want = {k.split("/", 1)[1].replace(":0", ""): v for k, v in want.items()}
assert len(hd) == len(want) == 10, (sorted(hd), sorted(want))
for k, v in hd.items():
    s, e = v["data_offsets"]
    got = np.frombuffer(b[8 + hl + s:8 + hl + e], dtype="<f4").reshape(v["shape"])
    assert np.array_equal(got, want[k]), k
PY
# a repo with two .h5: h5_filename picks one; without it the error lists both
req POST /predictions '{"input": {"huggingface_repo": "org/two"}}' >"$T/two.out"
grep -q '"status":"failed"' "$T/two.out" && grep -q 'a.h5, b.h5' "$T/two.out" && grep -q h5_filename "$T/two.out" \
    && pass serve_several_h5_say_which || fail serve_several_h5_say_which "$(head -c 400 "$T/two.out")"
req PUT /predictions/pick-b '{"input": {"huggingface_repo": "org/two", "h5_filename": "b.h5", "dtype": "F16"}}' >"$T/pick.out"
head -1 "$T/pick.out" | grep -q 200 && grep -q '"status":"succeeded"' "$T/pick.out" && grep -q '"id":"pick-b"' "$T/pick.out" \
    && pass serve_put_h5_filename || fail serve_put_h5_filename "$(head -c 400 "$T/pick.out")"
# PUT again with the same id: the same prediction, not a new job
req PUT /predictions/pick-b '{"input": {"huggingface_repo": "org/two", "h5_filename": "b.h5"}}' >"$T/pick2.out"
[ "$(tail -n +3 "$T/pick.out" | $PY -c 'import json,sys; print(json.load(sys.stdin)["created_at"])')" = \
  "$(tail -n +3 "$T/pick2.out" | $PY -c 'import json,sys; print(json.load(sys.stdin)["created_at"])')" ] \
    && pass serve_put_idempotent || fail serve_put_idempotent "$(head -c 300 "$T/pick2.out")"
# map (rule text), naming and revision reach the conversion: the names in the zip follow the rules
req POST /predictions '{"input": {"huggingface_repo": "org/rnn", "revision": "main", "naming": "index", "map": "^dense_1\\.(.*)$ -> head.$1\n"}}' >"$T/map.out"
tail -n +3 "$T/map.out" | $PY -c '
import base64, io, json, struct, sys, zipfile
p = json.load(sys.stdin)
assert p["status"] == "succeeded", p["error"]
z = zipfile.ZipFile(io.BytesIO(base64.b64decode(p["output"].split(",", 1)[1])))
b = z.read("model.safetensors")
names = set(json.loads(b[8:8 + struct.unpack("<Q", b[:8])[0]])) - {"__metadata__"}
assert {"head.weight_0", "head.weight_1", "dense.weight_0", "simple_rnn.weight_0"} <= names, sorted(names)
assert json.loads(z.read("config.json"))["metadata"]["naming"] == "index"' \
    && pass serve_map_naming_revision || fail serve_map_naming_revision "$(head -c 400 "$T/map.out")"
# a local path under --root
req POST /predictions "{\"input\": {\"huggingface_repo\": \"$T/root/local.h5\"}}" >"$T/local.out"
grep -q '"status":"succeeded"' "$T/local.out" && pass serve_local_under_root || fail serve_local_under_root "$(head -c 400 "$T/local.out")"
# a symlink under --root that leads outside it is refused
req POST /predictions "{\"input\": {\"huggingface_repo\": \"$T/root/link_out.h5\"}}" >"$T/link.out"
head -1 "$T/link.out" | grep -q 403 && pass serve_symlink_out_of_root_403 || fail serve_symlink_out_of_root_403 "$(head -c 300 "$T/link.out")"

# --- async + webhook
req POST /predictions "{\"id\": \"job-a\", \"input\": {\"huggingface_repo\": \"org/rnn\"}, \"webhook\": \"$HOOK\"}" 'Prefer: respond-async' >"$T/async.out"
head -1 "$T/async.out" | grep -q 202 && grep -q '"id":"job-a"' "$T/async.out" && pass serve_async_202 || fail serve_async_202 "$(head -c 300 "$T/async.out")"
for _ in $(seq 300); do grep -q '"id":"job-a".*"status":"succeeded"\|"status":"succeeded".*"id":"job-a"' "$T/hooks" 2>/dev/null && break; sleep 0.1; done
$PY - "$T/hooks" <<'PY' && pass serve_webhook_start_and_completed || fail serve_webhook_start_and_completed "$(head -c 400 "$T/hooks" 2>/dev/null)"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
a = [e for e in ev if e["id"] == "job-a"]
# start ("starting"), logs ("verified ..."), output, completed, as Cog sends them
st = [e["status"] for e in a]
assert st[0] == "starting" and st[-1] == "succeeded" and all(s == "processing" for s in st[1:-1]), st
assert any("verified" in e["logs"] for e in a[1:-1]), [e["logs"] for e in a]
assert a[-2]["output"] == a[-1]["output"]
assert a[-1]["output"].startswith("data:application/zip;base64,") and a[-1]["metrics"]["predict_time"] > 0
PY
# --- cancel (the slow repo trickles its .h5)
req POST /predictions "{\"id\": \"job-c\", \"input\": {\"huggingface_repo\": \"org/slow\"}, \"webhook\": \"$HOOK\", \"webhook_events_filter\": [\"completed\"]}" 'Prefer: respond-async' >/dev/null
sleep 1
req POST /predictions/job-c/cancel >"$T/cancel.out"
head -1 "$T/cancel.out" | grep -q 200 && pass serve_cancel_200 || fail serve_cancel_200 "$(head -c 300 "$T/cancel.out")"
for _ in $(seq 150); do grep -q '"id":"job-c"' "$T/hooks" 2>/dev/null && break; sleep 0.1; done
grep '"id":"job-c"' "$T/hooks" | grep -q '"status":"canceled"' && [ "$(grep -c '"id":"job-c"' "$T/hooks")" = 1 ] \
    && pass serve_cancel_webhook_canceled || fail serve_cancel_webhook_canceled "$(grep job-c "$T/hooks")"
req POST /predictions/nope/cancel >"$T/c404.out"
head -1 "$T/c404.out" | grep -q 404 && pass serve_cancel_unknown_404 || fail serve_cancel_unknown_404 "$(head -1 "$T/c404.out")"

# --- 50 concurrent requests, --jobs 2: each succeeds or gets 503 with Retry-After
$PY - "$URL" <<'PY' >"$T/conc.out" && pass serve_50_concurrent_ok_or_503 || fail serve_50_concurrent_ok_or_503 "$(tail -3 "$T/conc.out")"
import json, sys, threading, urllib.request, urllib.error
url = sys.argv[1]
res = []
def one():
    r = urllib.request.Request(url + "/predictions", data=b'{"input": {"huggingface_repo": "org/rnn"}}', method="POST")
    try:
        resp = urllib.request.urlopen(r, timeout=300)
        res.append((resp.status, json.loads(resp.read())["status"], None))
    except urllib.error.HTTPError as e:
        res.append((e.code, json.loads(e.read()).get("detail"), e.headers.get("Retry-After")))
ts = [threading.Thread(target=one) for _ in range(50)]
[t.start() for t in ts]; [t.join() for t in ts]
ok = sum(1 for s, st, _ in res if s == 200 and st == "succeeded")
busy = sum(1 for s, d, ra in res if s == 503 and ra and int(ra) > 0 and "busy" in d)
print("ok", ok, "busy", busy, res[:3])
assert len(res) == 50 and ok + busy == 50 and ok >= 2, (ok, busy)
PY

# --- bad requests: a 4xx with a message
bad() {  # NAME CODE BODY
    req POST /predictions "$3" >"$T/bad.out"
    local st; st=$(head -1 "$T/bad.out")
    if [ "$st" = "$2" ] && tail -n +3 "$T/bad.out" | $PY -c 'import json,sys; d=json.load(sys.stdin)["detail"]; assert len(d) > 10, d'; then pass "$1"
    else fail "$1" "status $st: $(tail -n +3 "$T/bad.out" | head -c 200)"; fi
}
bad serve_malformed_json_400 400 '{"input": {"huggingface_repo": "org/rnn"'
bad serve_missing_input_422 422 '{"id": "x"}'
bad serve_missing_repo_422 422 '{"input": {"model_type": "image_classifier"}}'
bad serve_bad_model_type_422 422 '{"input": {"huggingface_repo": "org/rnn", "model_type": "toaster"}}'
bad serve_unknown_input_422 422 '{"input": {"huggingface_repo": "org/rnn", "shell": "rm -rf /"}}'
bad serve_bad_map_422 422 '{"input": {"huggingface_repo": "org/rnn", "map": "this is not a rule ((("}}'
bad serve_path_outside_root_403 403 '{"input": {"huggingface_repo": "/etc/passwd"}}'
bad serve_dotdot_outside_root_403 403 "{\"input\": {\"huggingface_repo\": \"$T/root/../r1/rnn_model.h5\"}}"
bad serve_h5_filename_escape_422 422 '{"input": {"huggingface_repo": "org/rnn", "h5_filename": "../../x.h5"}}'
$PY -c 'import sys; sys.stdout.write("{\"input\": {\"huggingface_repo\": \"" + "x" * (2 << 20) + "\"}}")' >"$T/big.json"
st=$(curl -s -o "$T/big.out" -w '%{http_code}' -H 'Content-Type: application/json' --data-binary @"$T/big.json" "$URL/predictions")
[ "$st" = 413 ] && grep -q limit "$T/big.out" && pass serve_oversized_body_413 || fail serve_oversized_body_413 "$st $(head -c 200 "$T/big.out")"
# without a Content-Length (chunked): read up to the limit, then 413
st=$(curl -s -o "$T/big2.out" -w '%{http_code}' -H 'Transfer-Encoding: chunked' -H 'Content-Type: application/json' --data-binary @"$T/big.json" "$URL/predictions")
[ "$st" = 413 ] && pass serve_oversized_chunked_413 || fail serve_oversized_chunked_413 "$st $(head -c 200 "$T/big2.out")"
req GET /health-check >"$T/hc.out"; grep -q '"status":"READY"' "$T/hc.out" && pass serve_health_check || fail serve_health_check "$(cat "$T/hc.out")"
req GET /openapi.json >"$T/oa.out"
tail -n +3 "$T/oa.out" | $PY -c '
import json, sys
d = json.load(sys.stdin)
i = d["components"]["schemas"]["Input"]
assert i["required"] == ["huggingface_repo"] and {"model_type", "h5_filename", "to", "naming", "map", "dtype", "revision"} <= set(i["properties"])
assert "/predictions/{prediction_id}/cancel" in d["paths"]' && pass serve_openapi_schema || fail serve_openapi_schema "$(head -c 200 "$T/oa.out")"

# --- logs: one JSON line per request; the token never leaves the server
$PY - "$T/serve.log" <<'PY' && pass serve_json_log_lines || fail serve_json_log_lines "$(tail -3 "$T/serve.log")"
import json, sys
ls = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
reqs = [l for l in ls if "method" in l]
assert len(reqs) >= 70 and all({"remote", "method", "path", "status", "ms"} <= set(l) for l in reqs), len(reqs)
PY
! grep -rq hf_secret_never_echoed_42 "$T/serve.log" "$T"/*.out "$T/hooks" && pass serve_token_never_echoed || fail serve_token_never_echoed "token found"
logpy 'assert any(r["headers"].get("authorization") == "Bearer hf_secret_never_echoed_42" for r in log if r["role"] == "hub"), "token not sent to the hub"' \
    && pass serve_token_sent_to_hub || fail serve_token_sent_to_hub

# --- SIGTERM mid-job: cancelled after --grace, no partial output left
kill -TERM $SERVE_PID; wait $SERVE_PID 2>/dev/null
start_serve "$T/serve2.log" --jobs 1 --output-dir "$T/outd" --grace 1
req POST /predictions '{"id": "j-term", "input": {"huggingface_repo": "org/slow"}}' 'Prefer: respond-async' >/dev/null
req POST /predictions '{"input": {"huggingface_repo": "org/rnn"}}' >"$T/full.out"
head -1 "$T/full.out" | grep -q 503 && pass serve_full_503 || fail serve_full_503 "$(head -c 200 "$T/full.out")"
sleep 1
t0=$SECONDS
kill -TERM $SERVE_PID; wait $SERVE_PID; rc=$?
[ $rc = 0 ] && [ $((SECONDS - t0)) -lt 20 ] && pass serve_sigterm_exits || fail serve_sigterm_exits "rc $rc after $((SECONDS - t0))s"
[ -z "$(find "$T/outd" -mindepth 1 | head -3)" ] && pass serve_sigterm_no_partial_output || fail serve_sigterm_no_partial_output "$(find "$T/outd")"
grep -q '"event":"shutdown"' "$T/serve2.log" && pass serve_sigterm_logged || fail serve_sigterm_logged "$(tail -2 "$T/serve2.log")"
# --output-dir: the path is returned and the file is there
start_serve "$T/serve3.log" --output-dir "$T/outd"
req POST /predictions '{"input": {"huggingface_repo": "org/rnn"}}' >"$T/od.out"
p=$(tail -n +3 "$T/od.out" | $PY -c 'import json,sys; print(json.load(sys.stdin)["output"])')
case $p in "$T"/outd/*.zip) [ -f "$p" ] && unzip -l "$p" | grep -q model.safetensors && pass serve_output_dir_path || fail serve_output_dir_path "$p";;
    *) fail serve_output_dir_path "$p";; esac
kill -TERM $SERVE_PID; wait $SERVE_PID
# --max-output: a package over the bound fails with a message, and none is kept
rm -rf "$T/outd"; mkdir -p "$T/outd"
start_serve "$T/serve4.log" --max-output 1KB --output-dir "$T/outd"
req POST /predictions '{"input": {"huggingface_repo": "org/rnn"}}' >"$T/mo.out"
grep -q '"status":"failed"' "$T/mo.out" && grep -q 'max-output' "$T/mo.out" && [ -z "$(find "$T/outd" -type f)" ] \
    && pass serve_max_output_bounded || fail serve_max_output_bounded "$(head -c 300 "$T/mo.out"; find "$T/outd" -type f)"
kill -TERM $SERVE_PID; wait $SERVE_PID
