#!/bin/sh
# List C functions longer than a limit, longest first:
#   tools/longfuncs.sh [-n LINES] [FILE|DIR...]     (default: 150 lines, src/ ui/)
# "LINES FILE:LINE NAME" per function, nothing when none. Exit 0 either way.
# The house style (a function's braces alone at column 0) makes a brace
# count unnecessary: a body runs from "{" to the next "}" at column 0.
limit=150
if [ "${1:-}" = -n ]; then limit=$2; shift 2; fi
[ $# -eq 0 ] && set -- src ui
find "$@" -name '*.c' -type f | sort | xargs awk -v limit="$limit" '
FNR == 1 { sig = ""; start = 0 }
start == 0 && /^[A-Za-z_].*\(/ { sig = $0; sigline = FNR }
start == 0 && /^\{[ \t]*$/ && sig != "" {
    start = FNR
    name = sig
    sub(/\(.*/, "", name)
    n = split(name, w, /[ \t*]+/)
    name = w[n]
    next
}
start && /^\}/ {
    len = FNR - sigline + 1
    if (len > limit) printf "%d %s:%d %s\n", len, FILENAME, sigline, name
    start = 0; sig = ""
}
' | sort -rn
