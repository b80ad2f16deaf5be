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
# the scaffold's templates, found from the installed binary (../share/ckpt/templates)
n_src=$(ls templates/kerashub/*.tpl | wc -l)
n_dst=$(ls "$T/root/usr/share/ckpt/templates/kerashub/"*.tpl 2>/dev/null | wc -l)
[ "$n_src" -eq "$n_dst" ] && pass install_templates || fail install_templates "$n_dst of $n_src templates installed"
echo '{"model_type": "llama", "hidden_size": 8, "num_attention_heads": 2, "num_hidden_layers": 1, "intermediate_size": 8, "vocab_size": 9, "rms_norm_eps": 1e-5}' >"$T/cfg.json"
(cd "$T" && env -u CKPT_TEMPLATES "$T/root/usr/bin/ckpt" scaffold kerashub cfg.json -o sc >/dev/null 2>"$T/sc.err") \
    && [ -f "$T/sc/llama_backbone.py" ] && pass installed_scaffold_templates || fail installed_scaffold_templates "$(cat "$T/sc.err")"
