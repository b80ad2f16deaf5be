#!/usr/bin/python3
"""A fake Hugging Face Hub for ckpt's tests (Python standard library only).

Serves fixture repos it builds itself, through the endpoints ckpt uses:
  GET  /api/models/{repo}[/revision/{rev}]         {"id", "sha", "siblings"}
  GET  /api/models/{repo}/tree/{rev}?recursive=true  paginated with Link: <...>; rel="next"
  GET  /api/models?search=Q&limit=N                  [{"id"}...]
  HEAD/GET /{repo}/resolve/{rev}/{path}             small files: 200 + ETag (git blob sha1)
                                                    LFS files: 302 to the "CDN" port, with
                                                    X-Linked-Etag (sha256), X-Linked-Size
  GET  (cdn) /cdn/{sha256}/{name}?sig=...           the LFS bytes, Range supported
Every answer carries X-Repo-Commit where the Hub sends it; errors carry
X-Error-Code as the Hub does. Repo "org/private" needs "Authorization:
Bearer hf_test_token". Repo "org/evil" lists a path escaping the snapshot.

Request log (--log FILE): one JSON object per request: role (hub|cdn),
method, path, status, range, headers received, body bytes sent.

--huge N adds repo "org/huge": config.json plus N listed files ("bulk/%07d.txt",
1 byte each, never fetched), its tree in pages of 10000 made on the fly: a
listing of 10^6 entries for the linear-time and SIGTERM checks.

Faults, set by the test: GET /_ctl?kind=K&match=SUBSTR&count=N[&at=BYTES][&secs=S]
  drop     send `at` bytes of the body, then close the connection
  500      answer 500
  429      answer 429 with Retry-After: secs
  trickle  send the body at ~100 bytes/s (a stalled connection)
  slow     send the body at ~64 KiB/s
  wrong    flip one byte of the body (wrong content, right length)
  norange  ignore the Range header: 200 with the whole body
  badrange answer 206 with a Content-Range one byte off the range sent
Each log record's "bytes" is the body bytes actually sent.
count = how many matching requests get it (-1: all); role=hub|cdn limits it to
one server (an LFS file's path appears in both). GET /_ctl?reset=1 clears.
Prints "HUB_PORT=N CDN_PORT=M" on its first line once listening (127.0.0.1).
"""
import argparse
import hashlib
import json
import os
import socket
import struct
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOKEN = "hf_test_token"
PAGE = 4  # tree entries per page: forces pagination

# ---------------------------------------------------------------- fixtures

def st_file(tensors, meta=None):
    """safetensors bytes from [(name, dtype, shape, bytes)]."""
    hdr = {}
    if meta:
        hdr["__metadata__"] = meta
    off = 0
    data = b""
    for name, dt, shape, raw in tensors:
        hdr[name] = {"dtype": dt, "shape": shape, "data_offsets": [off, off + len(raw)]}
        off += len(raw)
        data += raw
    h = json.dumps(hdr, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    return struct.pack("<Q", len(h)) + h + data, 8 + len(h)


def det_bytes(seed, n):
    out = bytearray()
    i = 0
    while len(out) < n:
        out += hashlib.sha256(f"{seed}:{i}".encode()).digest()
        i += 1
    return bytes(out[:n])


def llama_tensors(layers=4, hidden=64, inter=128, vocab=256):
    t = [("model.embed_tokens.weight", "F32", [vocab, hidden], det_bytes("emb", vocab * hidden * 4))]
    for i in range(layers):
        p = f"model.layers.{i}."
        for n in ("q_proj", "k_proj", "v_proj", "o_proj"):
            t.append((p + f"self_attn.{n}.weight", "F16", [hidden, hidden], det_bytes(p + n, hidden * hidden * 2)))
        for n, shp in (("gate_proj", [inter, hidden]), ("up_proj", [inter, hidden]), ("down_proj", [hidden, inter])):
            t.append((p + f"mlp.{n}.weight", "F16", shp, det_bytes(p + n, shp[0] * shp[1] * 2)))
        t.append((p + "input_layernorm.weight", "F32", [hidden], det_bytes(p + "ln1", hidden * 4)))
        t.append((p + "post_attention_layernorm.weight", "F32", [hidden], det_bytes(p + "ln2", hidden * 4)))
    t.append(("model.norm.weight", "F32", [hidden], det_bytes("norm", hidden * 4)))
    t.append(("lm_head.weight", "F32", [vocab, hidden], det_bytes("head", vocab * hidden * 4)))
    return t


CONFIG = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 64,
          "intermediate_size": 128, "num_attention_heads": 4, "num_key_value_heads": 4,
          "num_hidden_layers": 4, "vocab_size": 256, "rms_norm_eps": 1e-6,
          "tie_word_embeddings": False}


def build_repos(big=None, big_name="big.bin"):
    """{repo: {"files": {path: bytes}, "private": bool, "extra_tree": [...]}}"""
    repos = {}
    ts = llama_tensors()
    nshard = 3
    per = (len(ts) + nshard - 1) // nshard
    files, weight_map, headers, total = {}, {}, {}, 0
    for k in range(nshard):
        name = f"model-{k + 1:05d}-of-{nshard:05d}.safetensors"
        part = ts[k * per:(k + 1) * per]
        b, hlen = st_file(part, {"format": "pt"})
        files[name] = b
        headers[name] = hlen
        for n, _, _, raw in part:
            weight_map[n] = name
            total += len(raw)
    files["model.safetensors.index.json"] = json.dumps(
        {"metadata": {"total_size": total}, "weight_map": weight_map}, indent=2).encode()
    files["config.json"] = json.dumps(CONFIG, indent=2).encode()
    files["README.md"] = b"# sharded test model\n"
    files["docs/deep/notes.txt"] = b"a small file two folders down\n"
    files["extra/lfs-blob.bin"] = det_bytes("lfs", 300_000)
    repos["org/sharded"] = {"files": files, "private": False, "headers": headers}

    b, hlen = st_file(ts[:6], {"format": "pt"})
    repos["org/private"] = {"files": {"model.safetensors": b, "config.json": files["config.json"]},
                            "private": True, "headers": {"model.safetensors": hlen}}
    repos["org/evil"] = {"files": {"config.json": b"{}\n"}, "private": False,
                         "extra_tree": [{"type": "file", "path": "../../escape.txt", "oid": "0" * 40, "size": 3}]}
    if big:
        repos["org/big"] = {"files": {big_name: ("file", big)}, "private": False}
    return repos


def git_sha1(b):
    return hashlib.sha1(b"blob %d\0" % len(b) + b).hexdigest()


def is_lfs(path, size):
    return path.endswith((".safetensors", ".bin", ".h5", ".keras")) or size > 100_000


class Repo:
    def __init__(self, rid, spec):
        self.id = rid
        self.private = spec.get("private", False)
        self.headers = spec.get("headers", {})
        self.extra_tree = spec.get("extra_tree", [])
        self.bulk = spec.get("bulk", 0)
        self.files = {}  # path -> dict(size, oid, sha256|None, data|None, fspath|None)
        for p, v in spec["files"].items():
            if isinstance(v, tuple):
                fp = v[1]
                size = os.path.getsize(fp)
                h = hashlib.sha256()
                with open(fp, "rb") as f:
                    for chunk in iter(lambda: f.read(1 << 22), b""):
                        h.update(chunk)
                sha = h.hexdigest()
                # git oid of the LFS pointer file, as the Hub reports it
                ptr = f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha}\nsize {size}\n".encode()
                self.files[p] = dict(size=size, oid=git_sha1(ptr), sha256=sha, data=None, fspath=fp)
            else:
                lfs = is_lfs(p, len(v))
                sha = hashlib.sha256(v).hexdigest() if lfs else None
                if lfs:
                    ptr = f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha}\nsize {len(v)}\n".encode()
                    oid = git_sha1(ptr)
                else:
                    oid = git_sha1(v)
                self.files[p] = dict(size=len(v), oid=oid, sha256=sha, data=v, fspath=None)
        self.commit = hashlib.sha1(("commit:" + rid + json.dumps(sorted(self.files))).encode()).hexdigest()
        self.revs = {"main": self.commit, "v1.0": self.commit, self.commit: self.commit}

    def tree(self):
        dirs = set()
        out = []
        for p in sorted(self.files):
            parts = p.split("/")
            for i in range(1, len(parts)):
                dirs.add("/".join(parts[:i]))
        for d in sorted(dirs):
            out.append({"type": "directory", "oid": hashlib.sha1(d.encode()).hexdigest(), "size": 0, "path": d})
        for p in sorted(self.files):
            f = self.files[p]
            e = {"type": "file", "oid": f["oid"], "size": f["size"], "path": p}
            if f["sha256"]:
                e["lfs"] = {"oid": f["sha256"], "size": f["size"], "pointerSize": 134}
            out.append(e)
        return out + self.extra_tree


# ---------------------------------------------------------------- server

class State:
    def __init__(self, repos, log):
        self.repos = repos
        self.log = open(log, "a") if log else None
        self.lock = threading.Lock()
        self.faults = []  # dicts: kind, match, count, at, secs
        self.hub_port = self.cdn_port = 0
        self.by_sha = {}
        for r in repos.values():
            for p, f in r.files.items():
                if f["sha256"]:
                    self.by_sha[f["sha256"]] = (r, p)

    def take_fault(self, path, role):
        with self.lock:
            for f in self.faults:
                if f["count"] != 0 and f["match"] in path and f.get("role", role) == role:
                    if f["count"] > 0:
                        f["count"] -= 1
                    return dict(f)
        return None

    def write_log(self, rec):
        if not self.log:
            return
        with self.lock:
            self.log.write(json.dumps(rec) + "\n")
            self.log.flush()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fakehub/1"
    role = "hub"

    def log_message(self, *a):
        pass

    def setup(self):
        super().setup()
        # headers and body go out in separate writes: without this, Nagle's
        # algorithm and delayed ACKs hold every small answer back 40 ms
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    @property
    def st(self):
        return self.server.state

    # -- helpers
    def _log(self, status, nbytes):
        self.st.write_log({"t": time.time(), "role": self.role, "port": self.server.server_address[1], "method": self.command,
                           "path": self.path, "status": status, "range": self.headers.get("Range"),
                           "headers": {k.lower(): v for k, v in self.headers.items()}, "bytes": nbytes})

    def _send(self, status, body=b"", headers=None, ctype="application/json"):
        self.send_response(status)
        hdrs = dict(headers or {})
        hdrs.setdefault("Content-Type", ctype)
        hdrs["Content-Length"] = str(len(body))
        for k, v in hdrs.items():
            self.send_header(k, v)
        self.end_headers()
        n = 0
        if self.command != "HEAD":
            self.wfile.write(body)
            n = len(body)
        self._log(status, n)

    def _json(self, obj, headers=None):
        self._send(200, json.dumps(obj).encode(), headers)

    def _err(self, status, code, msg, extra=None):
        h = {"X-Error-Code": code, "X-Error-Message": msg} if code else {"X-Error-Message": msg}
        if extra:
            h.update(extra)
        self._send(status, json.dumps({"error": msg}).encode(), h)

    def _auth_ok(self, repo):
        if not repo.private:
            return True
        return self.headers.get("Authorization") == "Bearer " + TOKEN

    def _repo(self, rid):
        r = self.st.repos.get(rid)
        if r is None:
            self._err(401, "RepoNotFound", "Repository Not Found for url")
            return None
        if not self._auth_ok(r):
            self._err(401, "RepoNotFound", "Invalid username or password.")
            return None
        return r

    def _fault_status(self, fault):
        if not fault:
            return False
        if fault["kind"] == "500":
            self._send(500, b'{"error":"injected"}')
            return True
        if fault["kind"] == "429":
            self._send(429, b'{"error":"slow down"}', {"Retry-After": str(fault.get("secs", 1))})
            return True
        return False

    def _body(self, f, fault, extra_headers):
        """Send a file's bytes with Range support and body faults."""
        size = f["size"]
        start, end, status = 0, size - 1, 200
        rng = self.headers.get("Range")
        if fault and fault["kind"] == "norange":
            rng = None
        if rng and rng.startswith("bytes="):
            a, _, b = rng[6:].partition("-")
            try:
                start = int(a) if a else max(0, size - int(b))
                end = min(int(b), size - 1) if (a and b) else size - 1
            except ValueError:
                start, end = 0, size - 1
            if start >= size or start > end:
                self._send(416, b"", dict(extra_headers, **{"Content-Range": f"bytes */{size}"}))
                return
            status = 206
        n = end - start + 1
        self.send_response(status)
        for k, v in extra_headers.items():
            self.send_header(k, v)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(n))
        self.send_header("Accept-Ranges", "bytes")
        if status == 206:
            off = 1 if fault and fault["kind"] == "badrange" else 0
            self.send_header("Content-Range", f"bytes {start + off}-{end + off}/{size}")
        self.end_headers()
        if self.command == "HEAD":
            self._log(status, 0)
            return
        kind = fault["kind"] if fault else None
        sent = 0
        try:
            if f["data"] is not None:
                body = f["data"][start:end + 1]
                if kind == "wrong" and body:
                    i = len(body) // 2
                    body = body[:i] + bytes([body[i] ^ 0xFF]) + body[i + 1:]
                if kind == "drop":
                    cut = min(int(fault.get("at", n // 2)), n)
                    self.wfile.write(body[:cut])
                    self.wfile.flush()
                    sent = cut
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                elif kind in ("trickle", "slow"):
                    step, pause = (100, 1.0) if kind == "trickle" else (65536, 1.0)
                    for i in range(0, len(body), step):
                        self.wfile.write(body[i:i + step])
                        self.wfile.flush()
                        sent += len(body[i:i + step])
                        time.sleep(pause)
                else:
                    self.wfile.write(body)
                    sent = len(body)
            else:
                with open(f["fspath"], "rb") as fh:
                    if kind == "drop":
                        cut = min(int(fault.get("at", n // 2)), n)
                        fh.seek(start)
                        self.wfile.write(fh.read(cut))
                        self.wfile.flush()
                        sent = cut
                        self.close_connection = True
                        self.connection.shutdown(socket.SHUT_RDWR)
                    else:
                        self.wfile.flush()
                        sent = self.connection.sendfile(fh, start, n)
        except (BrokenPipeError, ConnectionResetError, OSError):
            self.close_connection = True
        self._log(status, sent)

    # -- routes
    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        u = urllib.parse.urlsplit(self.path)
        path = urllib.parse.unquote(u.path)
        qs = urllib.parse.parse_qs(u.query)
        if self.role == "cdn":
            return self._cdn(path)
        if path == "/_ctl":
            return self._ctl(qs)
        if path.startswith("/api/models"):
            return self._api(path[len("/api/models"):], qs)
        parts = path.lstrip("/").split("/")
        if len(parts) >= 5 and parts[2] == "resolve":
            rid = parts[0] + "/" + parts[1]
            return self._resolve(rid, parts[3], "/".join(parts[4:]))
        self._err(404, None, "no route")

    def _ctl(self, qs):
        if "reset" in qs:
            with self.st.lock:
                self.st.faults.clear()
        else:
            f = {"kind": qs["kind"][0], "match": qs.get("match", [""])[0], "count": int(qs.get("count", ["1"])[0])}
            if "at" in qs:
                f["at"] = int(qs["at"][0])
            if "role" in qs:
                f["role"] = qs["role"][0]
            if "secs" in qs:
                f["secs"] = int(qs["secs"][0])
            with self.st.lock:
                self.st.faults.append(f)
        self.send_response(200)
        self.send_header("Content-Length", "3")
        self.end_headers()
        self.wfile.write(b"ok\n")

    def _api(self, rest, qs):
        if rest in ("", "/"):
            q = qs.get("search", [""])[0].lower()
            lim = int(qs.get("limit", ["50"])[0])
            ids = [r for r, v in sorted(self.st.repos.items()) if q in r.lower() and not v.private]
            return self._json([{"id": i, "modelId": i} for i in ids[:lim]])
        parts = rest.lstrip("/").split("/")
        if len(parts) < 2:
            return self._err(404, None, "bad api path")
        rid = parts[0] + "/" + parts[1]
        fault = self.st.take_fault(self.path, self.role)
        if self._fault_status(fault):
            return
        r = self._repo(rid)
        if not r:
            return
        tail = parts[2:]
        if not tail or tail[0] == "revision":
            rev = "/".join(tail[1:]) if tail else "main"
            if rev not in r.revs:
                return self._err(404, "RevisionNotFound", f"Invalid rev id: {rev}")
            return self._json({"id": rid, "sha": r.revs[rev], "private": r.private,
                               "siblings": [{"rfilename": p} for p in sorted(r.files)]})
        if tail[0] == "tree":
            rev = tail[1] if len(tail) > 1 else "main"
            if rev not in r.revs:
                return self._err(404, "RevisionNotFound", f"Invalid rev id: {rev}")
            cur = int(qs.get("cursor", ["0"])[0])
            if r.bulk:   # synthetic entries after the real ones, big pages
                step, entries = 10000, r.tree()
                total = len(entries) + r.bulk
                page = entries[cur:cur + step] if cur < len(entries) else []
                oid = "1" * 40
                page += [{"type": "file", "oid": oid, "size": 1, "path": "bulk/%07d.txt" % (i - len(entries))}
                         for i in range(max(cur, len(entries)), min(cur + step, total))]
            else:
                step, entries = PAGE, r.tree()
                total = len(entries)
                page = entries[cur:cur + PAGE]
            h = {}
            if cur + step < total:
                q = urllib.parse.urlencode({"recursive": "true", "expand": "false", "cursor": cur + step})
                h["Link"] = f'<http://127.0.0.1:{self.st.hub_port}/api/models/{rid}/tree/{rev}?{q}>; rel="next"'
            if fault and fault["kind"] == "badjson":
                return self._send(200, b'[{"type": "file", "path": ', h)
            return self._json(page, h)
        self._err(404, None, "bad api path")

    def _resolve(self, rid, rev, fpath):
        fault = self.st.take_fault(self.path, self.role)
        if self._fault_status(fault):
            return
        r = self._repo(rid)
        if not r:
            return
        if rev not in r.revs:
            return self._err(404, "RevisionNotFound", f"Invalid rev id: {rev}")
        f = r.files.get(fpath)
        if f is None:
            return self._err(404, "EntryNotFound", f"{fpath} does not exist")
        common = {"X-Repo-Commit": r.revs[rev]}
        if f["sha256"]:
            name = urllib.parse.quote(fpath.split("/")[-1])
            loc = f"http://127.0.0.1:{self.st.cdn_port}/cdn/{f['sha256']}/{name}?X-Amz-Signature=abc"
            h = dict(common, **{"Location": loc, "X-Linked-Etag": '"%s"' % f["sha256"],
                                "X-Linked-Size": str(f["size"]), "ETag": '"%s"' % f["oid"]})
            return self._send(302, b"", h, "text/plain")
        h = dict(common, **{"ETag": '"%s"' % f["oid"]})
        self._body(f, fault, h)

    def _cdn(self, path):
        fault = self.st.take_fault(self.path, self.role)
        if self._fault_status(fault):
            return
        parts = path.lstrip("/").split("/")
        if len(parts) < 2 or parts[0] != "cdn" or parts[1] not in self.st.by_sha:
            return self._send(404, b"no such object")
        r, p = self.st.by_sha[parts[1]]
        self._body(r.files[p], fault, {"ETag": '"cdn-%s"' % parts[1][:16]})


class CdnHandler(Handler):
    role = "cdn"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--log")
    ap.add_argument("--big", help="serve this file as org/big/big.bin")
    ap.add_argument("--big-name", default="big.bin", help="the name --big serves it under")
    ap.add_argument("--serve", action="append", default=[], metavar="REPO=DIR",
                    help="also serve the files under DIR as repo REPO")
    ap.add_argument("--huge", type=int, default=0, help="serve org/huge listing this many extra files")
    ap.add_argument("--dump", help="write the fixture repos' files under this folder and exit")
    a = ap.parse_args()
    specs = build_repos(a.big, a.big_name)
    if a.huge:
        specs["org/huge"] = {"files": {"config.json": b'{"model_type": "bert"}\n'}, "private": False, "bulk": a.huge}
    for sv in a.serve:
        rid, _, d = sv.partition("=")
        files = {}
        for root, _, fs in os.walk(d):
            for f in fs:
                fp = os.path.join(root, f)
                files[os.path.relpath(fp, d)] = open(fp, "rb").read()
        specs[rid] = {"files": files, "private": False}
    if a.dump:
        out = {}
        for rid, spec in specs.items():
            repo = Repo(rid, spec)
            out[rid] = {"commit": repo.commit, "headers": spec.get("headers", {}),
                        "files": {p: {"size": f["size"], "oid": f["oid"], "sha256": f["sha256"]}
                                  for p, f in repo.files.items()}}
            for p, v in spec["files"].items():
                if isinstance(v, tuple):
                    continue
                fp = os.path.join(a.dump, rid, p)
                os.makedirs(os.path.dirname(fp), exist_ok=True)
                with open(fp, "wb") as f:
                    f.write(v)
        with open(os.path.join(a.dump, "repos.json"), "w") as f:
            json.dump(out, f, indent=1)
        return
    repos = {rid: Repo(rid, s) for rid, s in specs.items()}
    state = State(repos, a.log)
    hub = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    cdn = ThreadingHTTPServer(("127.0.0.1", 0), CdnHandler)
    for s in (hub, cdn):
        s.daemon_threads = True
        s.state = state
    state.hub_port = hub.server_address[1]
    state.cdn_port = cdn.server_address[1]
    threading.Thread(target=cdn.serve_forever, daemon=True).start()
    print(f"HUB_PORT={state.hub_port} CDN_PORT={state.cdn_port}", flush=True)
    try:
        hub.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
