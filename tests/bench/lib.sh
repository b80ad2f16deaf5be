# Sourced by benches: best N CMD... -> the least wall time in seconds over N
# runs of CMD; the peak RSS (KiB) of that run is left in $B/rss, and the
# least CPU time (user + system seconds, over the N runs) in $B/cpu.
# timed FILE CMD... runs CMD once and writes "wall user sys rss_kb" to FILE,
# wall to the microsecond (tests/bench/timeit.c, built once into $B; falls
# back to /usr/bin/time's 10 ms if no compiler).
timed() {
    local out=$1; shift
    if [ ! -x "$B/timeit" ] && [ ! -f "$B/timeit.none" ]; then
        cc -O2 -o "$B/timeit" "$(dirname "${BASH_SOURCE[0]}")/timeit.c" 2>/dev/null || : > "$B/timeit.none"
    fi
    if [ -x "$B/timeit" ]; then "$B/timeit" -o "$out" "$@"
    else /usr/bin/time -f "%e %U %S %M" -o "$out" "$@"; fi
}
best() {
    local n=$1; shift
    local bestt= bestc=
    for _ in $(seq "$n"); do
        timed "$B/time" "$@" >/dev/null 2>"$B/err" || { cat "$B/err" >&2; return 1; }
        local t c; t=$(cut -d' ' -f1 "$B/time"); c=$(awk '{print $2 + $3}' "$B/time")
        if [ -z "$bestt" ] || awk "BEGIN{exit !($t < $bestt)}"; then bestt=$t; cut -d' ' -f4 "$B/time" > "$B/rss"; fi
        if [ -z "$bestc" ] || awk "BEGIN{exit !($c < $bestc)}"; then bestc=$c; fi
    done
    echo "$bestc" > "$B/cpu"
    echo "$bestt"
}
