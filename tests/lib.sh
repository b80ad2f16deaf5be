# Sourced by tests/t_*.sh. Gives:
#   $CKPT (binary), $ROOT (repo), $FIX (real fixtures), $PY (/usr/bin/python3), $T (temp dir, removed at exit)
#   pass NAME | fail NAME WHY | skip NAME WHY
#   check NAME CMD...          pass if CMD succeeds, else fail with its output
#   expect_exit CODE NAME CMD... pass if CMD exits CODE (output in $T/out, $T/err)
#   need_shared NAME           skip NAME and return 1 when ../shared is missing
set -u
ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
CKPT=${CKPT:-$ROOT/ckpt}
SHARED=${SHARED:-$ROOT/../shared}
FIX=$SHARED/fixtures/real
PY=/usr/bin/python3
T=$(mktemp -d /tmp/ckpt-t.XXXXXX)
trap 'rm -rf "$T"' EXIT
export LC_ALL=C.UTF-8 TZ=UTC HOME=$T/home NO_COLOR=
mkdir -p "$HOME"
unset HF_TOKEN HF_HOME HF_HUB_CACHE HF_ENDPOINT HF_HUB_OFFLINE XDG_CONFIG_HOME

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: ${2:-}"; }
skip() { echo "SKIP $1: ${2:-}"; }

check() {
    local name=$1; shift
    if "$@" >"$T/check.out" 2>&1; then pass "$name"
    else fail "$name" "$(tail -n 5 "$T/check.out" | tr '\n' ' ')"; fi
}

expect_exit() {
    local code=$1 name=$2; shift 2
    "$@" >"$T/out" 2>"$T/err"
    local rc=$?
    if [ "$rc" -eq "$code" ]; then pass "$name"
    else fail "$name" "exit $rc, wanted $code; stderr: $(head -c 300 "$T/err" | tr '\n' ' ')"; fi
    return 0
}

need_shared() {
    if [ -d "$FIX" ]; then return 0; fi
    skip "$1" "skipped: ../shared missing"; return 1
}
