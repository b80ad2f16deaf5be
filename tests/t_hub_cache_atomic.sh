#!/bin/bash
# The Hub cache's small files (refs/<rev>, trees/<commit>.json) are written
# by the conversion outputs' transaction: a nameless file, fsync, a fresh
# link name, rename. Two pulls into one cache at once end with one whole
# cache, and a symlink planted at the name the old code used
# ("FILE.PID.tmp", opened without O_EXCL) does not lead a pull to write
# through it.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/hub_lib.sh"
start_hub || { fail hub_start "fake hub did not start"; exit 0; }
commit=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["org/sharded"]["commit"])' "$FIXDIR/repos.json")
REPO=$HF_HOME/hub/models--org--sharded

# the cache against the fake Hub's own files: refs/main holds the commit,
# every snapshot file has its content, no temporary name is left behind
cache_whole() {
    "$PY" - "$FIXDIR" "$REPO" "$commit" <<'PYEOF'
import json, os, sys
fix, folder, commit = sys.argv[1:4]
meta = json.load(open(os.path.join(fix, "repos.json")))["org/sharded"]
ref = os.path.join(folder, "refs", "main")
assert not os.path.islink(ref), "refs/main is a symlink"
assert open(ref).read() == commit, open(ref).read()
tree = json.load(open(os.path.join(folder, "trees", commit + ".json")))
assert set(tree["files"]) == set(meta["files"]), set(tree["files"]) ^ set(meta["files"])
for p in meta["files"]:
    got = open(os.path.join(folder, "snapshots", commit, p), "rb").read()
    assert got == open(os.path.join(fix, "org/sharded", p), "rb").read(), p
left = [os.path.join(d, f) for d, _, fs in os.walk(folder) for f in fs
        if ".ckpt-" in f or f.endswith((".tmp", ".incomplete", ".lnk"))]
assert not left, left
print("cache whole")
PYEOF
}

# ---- two pulls into one cache at the same time (the LFS bodies slowed so
# they overlap): both succeed, the cache is whole
ctl 'kind=slow&match=lfs-blob&role=cdn&count=-1'
"$CKPT" pull hf://org/sharded --quiet >"$T/a.out" 2>"$T/a.err" & pa=$!
"$CKPT" pull hf://org/sharded --quiet >"$T/b.out" 2>"$T/b.err" & pb=$!
wait $pa; ra=$?
wait $pb; rb=$?
ctl reset=1
[ $ra -eq 0 ] && [ $rb -eq 0 ] && pass hub_concurrent_pulls \
    || fail hub_concurrent_pulls "exit $ra/$rb: $(head -c 300 "$T/a.err") $(head -c 300 "$T/b.err")"
check hub_concurrent_cache_whole cache_whole

# ---- a symlink planted at the old predictable temporary names: the pull's
# pid is known in advance (sh's $$ survives exec); the victim stays as it was
rm -rf "$HF_HOME"
mkdir -p "$REPO/refs" "$REPO/trees"
echo "precious" >"$T/victim"
sh -c 'ln -s "$1" "$2/refs/main.$$.tmp"; ln -s "$1" "$2/trees/$3.json.$$.tmp"; exec "$4" pull hf://org/sharded --quiet' \
    sh "$T/victim" "$REPO" "$commit" "$CKPT" >"$T/c.out" 2>"$T/c.err"
rc=$?
[ $rc -eq 0 ] && pass hub_planted_symlink_pull || fail hub_planted_symlink_pull "exit $rc: $(head -c 300 "$T/c.err")"
[ "$(cat "$T/victim")" = precious ] && pass hub_planted_symlink_untouched \
    || fail hub_planted_symlink_untouched "victim now holds: $(head -c 100 "$T/victim")"
rm -f "$REPO"/refs/main.*.tmp "$REPO"/trees/*.tmp
check hub_planted_cache_whole cache_whole

# ---- the ref is flushed before it gets its name (strace: an fsync of the
# new file comes before the rename onto refs/main)
if command -v strace >/dev/null 2>&1; then
    rm -rf "$HF_HOME"
    strace -f -qq -e trace=fsync,fdatasync,rename,renameat,renameat2,linkat,open,openat \
        -o "$T/strace" "$CKPT" pull hf://org/sharded --include config.json --quiet >/dev/null 2>"$T/s.err"
    check hub_ref_fsync_before_rename "$PY" - "$T/strace" <<'PYEOF'
import re, sys
lines = open(sys.argv[1]).read().splitlines()
ren = [i for i, l in enumerate(lines) if "rename" in l and re.search(r'refs/main"', l)]
assert ren, "no rename onto refs/main"
# the file was an O_TMPFILE in refs/ (no name to plant anything at)
tmp = [i for i, l in enumerate(lines[:ren[0]]) if "O_TMPFILE" in l and "/refs" in l]
assert tmp, "refs/main not created as an O_TMPFILE"
fd = re.search(r"= (\d+)$", lines[tmp[-1]]).group(1)
fs = [i for i in range(tmp[-1], ren[0]) if re.search(r"f(data)?sync\(%s\)" % fd, lines[i])]
assert fs, "no fsync of the new ref before its rename"
print("fsync", fs[0], "< rename", ren[0])
PYEOF
else
    skip hub_ref_fsync_before_rename "strace not installed"
fi
