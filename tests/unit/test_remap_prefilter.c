/* test_remap_prefilter.c: the literal prefilters and the prefix dispatch
 * of the remap rules (src/remap/rx.c, dispatch.c) may reject a name only
 * when PCRE2 would not match it. Held to PCRE2 alone on the same compiled
 * pattern (ckpt__rx_exec_unfiltered): the hand-picked cases where a
 * literal sits where it is not required (in a group, an alternation,
 * under (?i), before a quantifier, a '$' that allows a final newline),
 * then random patterns over random names (interpreted, then JIT-compiled
 * once hot: both alike), then random rule lists through
 * ckpt_remap_name against the rules run one by one without dispatch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "remap/rules.h"
#include "check.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;   /* fixed seed: a failure reproduces */
static unsigned rnd(unsigned n)
{
    rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
    return (unsigned)(rng % n);
}

/* 0 same, 1 differ (printed) */
static int same(const ckpt_rx *x, const char *pat, const char *s)
{
    ckpt_rx_span a[CKPT_RX_MAXGROUPS + 1], b[CKPT_RX_MAXGROUPS + 1];
    int nm = ckpt__rx_ngroups(x) + 1 < CKPT_RX_MAXGROUPS + 1 ? ckpt__rx_ngroups(x) + 1 : CKPT_RX_MAXGROUPS + 1;
    size_t len = strlen(s);
    int f = ckpt__rx_exec(x, s, len, a, nm), u = ckpt__rx_exec_unfiltered(x, s, len, b, nm);
    int bad = f != u;
    for (int i = 0; !bad && f == 1 && i < nm; i++) bad = a[i].so != b[i].so || a[i].eo != b[i].eo;
    if (bad) printf("  /%s/ on '%s': prefiltered %d, PCRE2 alone %d\n", pat, s, f, u);
    return bad;
}

static void test_cases(void)
{
    static const struct { const char *pat, *name; int want; } cs[] = {
        {"^model\\.(?:q|k)_proj$", "model.k_proj", 1},   /* literals after a group */
        {"^ab(?:cd|ef)gh$", "abefgh", 1},                /* in an alternation */
        {"(?i)^MODEL\\.LAYERS$", "model.layers", 1},     /* case-insensitive flag */
        {"^a(?i:BC)d$", "abcd", 1},                      /* scoped flag */
        {"^abc|xyz$", "xyz", 1},                         /* top-level alternation */
        {"weight$", "weight\n", 1},                      /* '$' before a final newline */
        {"weight\\Z", "weight\n", 0},                    /* Python \Z: the very end */
        {"weight$", "weight\n\n", 0},
        {"ab?c$", "ac", 1},                              /* a quantified literal is optional */
        {"^ab{0}c", "ac", 1},
        {"^x(abc)?$", "x", 1},
        {"^(?P<n>ab)c(?P=n)$", "abcab", 1},              /* back-reference */
        {"\\bproj\\.weight$", "q_proj.weight", 0},
        {"\\bproj\\.weight$", "q.proj.weight", 1},
        {"^\xc3\xa9t\xc3\xa9$", "\xc3\xa9t\xc3\xa9", 1},  /* UTF-8 literals */
        {"^a\\.b$", "a.b", 1}, {"^a\\.b$", "axb", 0},
        {"c$", "abc", 1}, {"^abc$", "abc\n", 1},
    };
    int bad = 0;
    for (size_t i = 0; i < sizeof cs / sizeof *cs; i++) {
        size_t col;
        char em[256];
        ckpt_rx *x = ckpt__rx_compile(cs[i].pat, &col, em, sizeof em);
        if (!x) { printf("  /%s/: %s\n", cs[i].pat, em); bad++; continue; }
        ckpt_rx_span m[CKPT_RX_MAXGROUPS + 1];
        int got = ckpt__rx_exec(x, cs[i].name, strlen(cs[i].name), m, CKPT_RX_MAXGROUPS + 1);
        if (got != cs[i].want) { printf("  /%s/ on '%s': %d, want %d\n", cs[i].pat, cs[i].name, got, cs[i].want); bad++; }
        bad += same(x, cs[i].pat, cs[i].name);
        ckpt__rx_free(x);
    }
    CHECK("prefilter_cases", bad == 0);
}

/* A random pattern: literals (whose letters names share), escapes,
 * classes, groups, alternations, flags, quantifiers, anchors. */
static void rand_pattern(char *p, size_t n)
{
    static const char *const atom[] = {
        "a", "b", "c", "A", "B", ".", "\\.", "_", "0", "1", "\\d", "\\w", "[ab]", "[^a]", "[.]", "\\b",
        "(ab)", "(?:a|b)", "(?:ab|c)", "(a|)", "(?i:ab)", "(?=a)", "(?!b)", "(?<=a)", "(a)\\1", "(?P<g>b)",
        "\xc3\xa9", "ab", "abc", "a.b", "\\n", "x",
    };
    static const char *const quant[] = {"", "", "", "", "*", "+", "?", "{0,2}", "*?", "+?", "{2}", "{,1}"};
    size_t l = 0;
    p[0] = 0;
    unsigned r = rnd(10);
    if (r == 0) l += (size_t)snprintf(p + l, n - l, "(?i)");
    if (rnd(2)) l += (size_t)snprintf(p + l, n - l, "^");
    else if (r == 1) l += (size_t)snprintf(p + l, n - l, "\\A");
    unsigned k = 1 + rnd(6);
    for (unsigned i = 0; i < k && l < n - 16; i++) {
        if (rnd(12) == 0) l += (size_t)snprintf(p + l, n - l, "|");
        l += (size_t)snprintf(p + l, n - l, "%s%s", atom[rnd(sizeof atom / sizeof *atom)],
                              quant[rnd(sizeof quant / sizeof *quant)]);
    }
    r = rnd(4);
    if (r == 0) snprintf(p + l, n - l, "$");
    else if (r == 1) snprintf(p + l, n - l, "\\Z");
}

static void rand_name(char *s, size_t n)
{
    static const char *const part[] = {"a", "b", "c", "A", "B", ".", "_", "0", "1", "x", "ab", "abc", "\xc3\xa9", "\n"};
    size_t l = 0;
    s[0] = 0;
    unsigned k = rnd(9);
    for (unsigned i = 0; i < k && l < n - 8; i++) l += (size_t)snprintf(s + l, n - l, "%s", part[rnd(sizeof part / sizeof *part)]);
}

static void test_random_patterns(void)
{
    int bad = 0, pairs = 0, matched = 0, compiled = 0;
    for (int i = 0; i < 4000 && bad < 10; i++) {
        char pat[256];
        rand_pattern(pat, sizeof pat);
        size_t col;
        char em[256];
        ckpt_rx *x = ckpt__rx_compile(pat, &col, em, sizeof em);
        if (!x) continue;   /* e.g. a variable-length look-behind */
        compiled++;
        /* three passes over the same names: the first interpreted, the last
         * JIT-compiled (rx.c compiles a rule once it is hot), all alike */
        char names[40][64];
        int first[40];
        for (int j = 0; j < 40; j++) rand_name(names[j], sizeof names[j]);
        for (int pass = 0; pass < 3; pass++)
            for (int j = 0; j < 40; j++) {
                bad += same(x, pat, names[j]);
                ckpt_rx_span m[1];
                int u = ckpt__rx_exec_unfiltered(x, names[j], strlen(names[j]), m, 1);
                if (pass == 0) { first[j] = u; matched += u == 1; pairs++; }
                else if (u != first[j]) { printf("  /%s/ on '%s': pass %d gave %d, pass 0 %d\n", pat, names[j], pass, u, first[j]); bad++; }
            }
        ckpt__rx_free(x);
    }
    printf("  %d patterns compiled, %d names tried, %d matched\n", compiled, pairs, matched);
    /* the generator must give both outcomes often, or the test proves little */
    CHECK("prefilter_random_same_as_pcre2", bad == 0 && compiled > 3000 && matched > pairs / 20 && matched < pairs - pairs / 20);
}

/* the first match of rule r in s replaced by its target (no groups in it) */
static void ref_apply(const ckpt_remap *R, char *s, size_t n)
{
    for (int i = 0; i < R->n; i++) {
        ckpt_rx_span m[1];
        if (ckpt__rx_exec_unfiltered(R->r[i].rx, s, strlen(s), m, 1) != 1) continue;
        char o[512];
        snprintf(o, sizeof o, "%.*s%s%s", (int)m[0].so, s, R->r[i].targets[0], s + m[0].eo);
        snprintf(s, n, "%s", o);
    }
}

static void test_random_rules(void)
{
    int bad = 0, tried = 0, changed = 0;
    for (int t = 0; t < 500 && bad < 10; t++) {
        char text[8192];
        size_t l = 0;
        int k = 1 + (int)rnd(40);
        for (int i = 0; i < k; i++) {
            char pat[256];
            /* many anchored literal prefixes of a few lengths: the dispatch index's case */
            if (rnd(2)) snprintf(pat, sizeof pat, "^%.*s%s", (int)rnd(4), &"ab.a"[rnd(2)], rnd(2) ? "" : "(b|c)");
            else rand_pattern(pat, sizeof pat);
            if (strstr(pat, "->") || strchr(pat, '#')) continue;
            l += (size_t)snprintf(text + l, sizeof text - l, "%s -> R%d\n", pat, i);
        }
        ckpt_remap *R = NULL;
        ckpt_err e;
        ckpt_err_clear(&e);
        if (ckpt_remap_parse(text, "map.txt", &R, &e)) continue;   /* a pattern PCRE2 refuses */
        for (int j = 0; j < 30; j++) {
            char name[64], want[512], got[512];
            rand_name(name, sizeof name);
            if (rnd(2)) { char b[64]; snprintf(b, sizeof b, "ab.%.56s", name); memcpy(name, b, sizeof b); }
            snprintf(want, sizeof want, "%s", name);
            ref_apply(R, want, sizeof want);
            ckpt_remap_name(R, name, got, sizeof got);
            tried++;
            changed += strcmp(want, name) != 0;
            if (strcmp(got, want)) { printf("  rules:\n%s  on '%s': got '%s', want '%s'\n", text, name, got, want); bad++; }
        }
        ckpt_remap_free(R);
    }
    printf("  %d names through random rule lists, %d renamed\n", tried, changed);
    CHECK("dispatch_random_same_as_each_rule", bad == 0 && tried > 5000 && changed > tried / 10);
}

int main(void)
{
    test_cases();
    test_random_patterns();
    test_random_rules();
    return failures ? 1 : 0;
}
