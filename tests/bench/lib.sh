# Sourced by benches: best N CMD... -> the least wall time in seconds over N
# runs of CMD; the peak RSS (KiB) of that run is left in $B/rss, and the
# least CPU time (user + system seconds, over the N runs) in $B/cpu.
best() {
    local n=$1; shift
    local bestt= bestc=
    for _ in $(seq "$n"); do
        /usr/bin/time -f "%e %M %U %S" -o "$B/time" "$@" >/dev/null 2>"$B/err" || { cat "$B/err" >&2; return 1; }
        local t c; t=$(cut -d' ' -f1 "$B/time"); c=$(awk '{print $3 + $4}' "$B/time")
        if [ -z "$bestt" ] || awk "BEGIN{exit !($t < $bestt)}"; then bestt=$t; cut -d' ' -f2 "$B/time" > "$B/rss"; fi
        if [ -z "$bestc" ] || awk "BEGIN{exit !($c < $bestc)}"; then bestc=$c; fi
    done
    echo "$bestc" > "$B/cpu"
    echo "$bestt"
}
