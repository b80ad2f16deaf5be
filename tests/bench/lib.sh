# Sourced by benches: best N CMD... -> the least wall time in seconds over N
# runs of CMD; the peak RSS (KiB) of that run is left in $B/rss.
best() {
    local n=$1; shift
    local bestt=
    for _ in $(seq "$n"); do
        /usr/bin/time -f "%e %M" -o "$B/time" "$@" >/dev/null 2>"$B/err" || { cat "$B/err" >&2; return 1; }
        local t; t=$(cut -d' ' -f1 "$B/time")
        if [ -z "$bestt" ] || awk "BEGIN{exit !($t < $bestt)}"; then bestt=$t; cut -d' ' -f2 "$B/time" > "$B/rss"; fi
    done
    echo "$bestt"
}
