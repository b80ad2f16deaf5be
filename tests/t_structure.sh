#!/bin/bash
# The shape of the code, as issue 19 asks it to stay:
#  - no function over 150 lines in src/ or ui/ (tools/longfuncs.sh);
#  - format knowledge in the format's own files: no comparison with a
#    format's name and no file signature outside them and the registry;
#  - make, make check and make asan never install packages (make deps and
#    .ci/run do), and the build is gnu11.
source "$(dirname "$0")/lib.sh"
cd "$ROOT" || exit 1

long=$(sh tools/longfuncs.sh src ui 2>&1)
[ -f tools/longfuncs.sh ] && [ -z "$long" ] && pass structure_no_long_functions || fail structure_no_long_functions "$(echo "$long" | tr '\n' ';')"

# tools/longfuncs.sh itself, on a file with one function of 151 lines and one of 150
{ echo "static int f(void)"; echo "{"; for i in $(seq 148); do echo "    x();"; done; echo "}";
  echo "int g(int a)"; echo "{"; for i in $(seq 147); do echo "    y();"; done; echo "}"; } >"$T/long.c"
out=$(sh tools/longfuncs.sh "$T/long.c")
[ "$out" = "151 $T/long.c:1 f" ] && pass structure_longfuncs_counts || fail structure_longfuncs_counts "got: $out"

# Comparisons with a format's name ("gguf", "keras-h5", ...) outside the
# format's family (the file that defines it and those named after it:
# fmt_gguf.c, gguf_write.c). Allowed, each for a reason:
#   src/package.c               the --package wrapper picks its inner writer by name
#                               (i17 makes it a registered writer)
#   src/formats/tfjs_write.c    `--naming keras`: a naming scheme, not the format
#   src/export/tf_graph.c       `--compat-mode tfjs`: a TensorFlow op-compat mode
#   ui/cmd_scaffold.c           `ckpt scaffold kerashub`: the scaffold's kind
check structure_no_format_names "$PY" - <<'PYEOF'
import os, re
allowed_files = {"src/package.c"}
allowed = [("src/formats/tfjs_write.c", 'naming, "keras"'), ("src/export/tf_graph.c", 'mode, "tfjs"'),
           ("ui/cmd_scaffold.c", 'kind, "kerashub"')]
files = [os.path.join(d, f) for top in ("src", "ui") for d, _, fs in os.walk(top) for f in fs if f.endswith(".c")]
owner = {}
for f in files:
    for n in re.findall(r'^\s*\.name\s*=\s*"([^"]+)"', open(f).read(), re.M):
        owner[n] = f
def stem(path):
    b = os.path.basename(path)[:-2]
    b = b[4:] if b.startswith("fmt_") else b
    return re.split(r"[_0-9]", b)[0]
bad = []
for f in files:
    if f in allowed_files or f == "src/format.c": continue
    for ln, line in enumerate(open(f), 1):
        for n, home in owner.items():
            if not re.search(r'\b(strn?cmp|strcasecmp)\s*\(([^()]|\([^()]*\))*"%s"' % re.escape(n), line): continue
            if any(f == af and snip in line for af, snip in allowed): continue
            b = os.path.basename(f)
            if os.path.dirname(f) == os.path.dirname(home) and (b[4:] if b.startswith("fmt_") else b).startswith(stem(home)):
                continue
            bad.append("%s:%d compares with format name %r" % (f, ln, n))
assert not bad, bad
print(len(owner), "format names, none compared outside their files")
PYEOF

# file signatures belong to the formats (their .magics), not to the core or ui/
sig=$(grep -nE '"(GGUF|PK\\x03\\x04|\\x89HDF|\\x93NUMPY)' src/*.c src/hub/*.c ui/*.c 2>/dev/null)
[ -z "$sig" ] && pass structure_no_magic_outside_formats || fail structure_no_magic_outside_formats "$sig"

# the build: gnu11; no install from make, make check or make asan
grep -qE '^WARN +:= -std=gnu11 ' Makefile && pass structure_gnu11 || fail structure_gnu11 "$(grep -n '^WARN' Makefile)"
dry=$(make -n all check asan 2>&1 | grep -E 'apt-get|deps\.sh')
[ -z "$dry" ] && pass structure_make_installs_nothing || fail structure_make_installs_nothing "$dry"
grep -q 'deps.sh build' .ci/run && grep -q 'deps.sh test' .ci/run &&
    [ "$(grep -n 'deps.sh test' .ci/run | cut -d: -f1)" -lt "$(grep -n 'make check' .ci/run | cut -d: -f1)" ] &&
    pass structure_ci_installs_first || fail structure_ci_installs_first "$(cat .ci/run)"

# the engine's exported names carry ckpt_ (public) or ckpt__ (internal); the
# one exception is protobuf-c's generated code (tensorflow__*)
lib=$ROOT/build/libckpt.a
if [ -f "$lib" ] && command -v nm >/dev/null; then
    bare=$(nm -g --defined-only "$lib" 2>/dev/null | awk '$2 ~ /[TDBRC]/ {print $3}' | grep -vE '^(ckpt_|tensorflow__)' | sort -u)
    [ -z "$bare" ] && pass structure_symbols_prefixed || fail structure_symbols_prefixed "$(echo $bare | head -c 400)"
else skip structure_symbols_prefixed "no build/libckpt.a or nm"; fi
