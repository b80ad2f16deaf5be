# make install puts the binary, the man page and the themes under DESTDIR/PREFIX.
source "$(dirname "$0")/lib.sh"
cd "$ROOT" || exit 1
if make -s install DESTDIR="$T/root" PREFIX=/usr >"$T/log" 2>&1; then pass install_runs
else fail install_runs "$(tail -5 "$T/log")"; exit 0; fi
[ -x "$T/root/usr/bin/ckpt" ] && pass install_binary || fail install_binary "no binary"
"$T/root/usr/bin/ckpt" --version | grep -q '^ckpt ' && pass installed_binary_runs || fail installed_binary_runs ""
[ -f "$T/root/usr/share/man/man1/ckpt.1" ] && pass install_manpage || fail install_manpage "no man page"
if command -v man >/dev/null 2>&1; then
    MANWIDTH=80 man -l "$T/root/usr/share/man/man1/ckpt.1" 2>&1 | grep -q 'inspect and convert' \
        && pass manpage_renders || fail manpage_renders "man -l failed"
fi
n_src=$(ls themes/*.theme 2>/dev/null | wc -l)
n_dst=$(ls "$T/root/usr/share/ckpt/themes/"*.theme 2>/dev/null | wc -l)
[ "$n_src" -eq "$n_dst" ] && pass install_themes || fail install_themes "$n_dst of $n_src themes installed"
