/* test_nullerr.c: every public function that takes a ckpt_err* accepts
 * NULL (include/ckpt/err.h). Opens every fixture kind, whole and corrupted
 * (cut short, bytes overwritten), once with NULL and once with an err, and
 * drives the model through read, check, stats, diff, detect and convert.
 * With an err the outcome must be the same as with NULL, and a failure must
 * carry a message. Run under `make asan` too: a NULL dereference is a crash
 * there and a missing FAIL line here. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ckpt/check.h"
#include "ckpt/convert.h"
#include "ckpt/diff.h"
#include "ckpt/hub.h"
#include "ckpt/model.h"
#include "ckpt/remap.h"
#include "ckpt/stats.h"

static int failures, runs;
static char tmpdir[] = "/tmp/ckpt-nullerr.XXXXXX";

static void fail(const char *what, const char *path, const char *why)
{
    printf("FAIL nullerr %s %s: %s\n", what, path, why);
    failures++;
}

/* Everything a consumer does with an opened model, with err (maybe NULL). */
static void drive(ckpt_model *m, ckpt_err *err)
{
    int n = ckpt_model_ntensors(m);
    char buf[64];
    for (int i = 0; i < n && i < 8; i++) {
        const ckpt_tensor *t = ckpt_model_tensor(m, i);
        size_t k = t->nbytes < sizeof buf ? (size_t)t->nbytes : sizeof buf;
        ckpt_tensor_read(m, i, 0, buf, k, err);
        /* out of range on purpose */
        ckpt_tensor_read(m, i, t->nbytes, buf, 1, err);
        ckpt_stats st;
        ckpt_tensor_stats(m, i, 0, &st, NULL, NULL, err);
    }
    ckpt_findings f = {0};
    ckpt_check(m, &f, err);
    ckpt_findings_free(&f);
    ckpt_diff_opts dopt = {0};
    ckpt_diff *d = NULL;
    if (!ckpt_diff_models(m, m, &dopt, &d, err)) ckpt_diff_free(d);
    /* remap rules (good and broken), a preview, an expectation */
    const char *rules[] = {"^(.*)$ -> x.$1\n", "((( -> \n", "^a$ -> b | transpose\n", "^a -> b | nonsense(\n"};
    for (size_t r = 0; r < sizeof rules / sizeof rules[0]; r++) {
        ckpt_remap *rm = NULL;
        if (ckpt_remap_parse(rules[r], "test", &rm, err)) continue;
        ckpt_remap_set_var(rm, "n", "1", err);
        ckpt_remap_add_rename(&rm, "a=b", err);
        ckpt_remap_add_rename(&rm, "no equals sign", err);
        ckpt_remap_append(&rm, "/nonexistent.map", err);
        ckpt_remapped *v = NULL;
        if (!ckpt_remap_preview(rm, m, &v, err)) {
            ckpt_remapped_read(v, 0, 0, buf, 1, err);
            ckpt_remapped_read(v, 1 << 30, 0, buf, 1, err);
            ckpt_remapped_free(v);
        }
        ckpt_target *t = NULL;
        if (!ckpt_target_load("/nonexistent.txt", &t, err)) ckpt_target_free(t);
        ckpt_findings ef = {0};
        if (t) ckpt_check_expect(m, rm, t, &ef, err);
        ckpt_findings_free(&ef);
        ckpt_remap_free(rm);
    }
    ckpt_remap *rl = NULL;
    if (!ckpt_remap_load("preset:no-such-preset", &rl, err)) ckpt_remap_free(rl);
    char out[600];
    snprintf(out, sizeof out, "%s/out-%d.safetensors", tmpdir, runs);
    ckpt_convert_opts o = {.to = "safetensors", .out = out};
    ckpt_convert(m, &o, NULL, err);
    unlink(out);
    /* a format that cannot take the input, and one that does not exist */
    o.to = "no-such-format";
    ckpt_convert(m, &o, NULL, err);
}

/* Open `path` with NULL and with an err: same outcome, a message on failure. */
static void try_path(const char *path)
{
    runs++;
    ckpt_model *m = NULL;
    int rc_null = ckpt_open(path, &m, NULL);
    if (!rc_null) { drive(m, NULL); ckpt_close(m); }
    ckpt_detect(path, NULL);
    ckpt_model *m2 = NULL;
    ckpt_open_as(path, "gguf", &m2, NULL);
    ckpt_close(m2);

    ckpt_err e;
    ckpt_err_clear(&e);
    m = NULL;
    int rc_err = ckpt_open(path, &m, &e);
    if ((rc_null == 0) != (rc_err == 0)) fail("same-outcome", path, "NULL err and err disagree");
    if (rc_err && !e.code) fail("message", path, "failed without setting err");
    if (!rc_err) {
        ckpt_err e2;
        ckpt_err_clear(&e2);
        drive(m, &e2);
        ckpt_close(m);
    }
}

static int copy_cut(const char *src, const char *dst, long cut, long poke)
{
    FILE *in = fopen(src, "rb"), *out = fopen(dst, "wb");
    if (!in || !out) { if (in) fclose(in); if (out) fclose(out); return -1; }
    long i = 0;
    int c;
    while ((c = fgetc(in)) != EOF && (cut < 0 || i < cut)) {
        if (poke >= 0 && i >= poke && i < poke + 8) c = 0xff;
        fputc(c, out);
        i++;
    }
    fclose(in);
    fclose(out);
    return 0;
}

/* A fixture folder: opened as it is, then each file cut and poked in a copy
 * of the folder (so companions such as model.json + weights.bin stay). */
static void try_fixture(const char *dir)
{
    try_path(dir);
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *de;
    char names[32][256];
    int nn = 0;
    while ((de = readdir(d)) && nn < 32)
        if (de->d_name[0] != '.') snprintf(names[nn++], sizeof names[0], "%s", de->d_name);
    closedir(d);
    char work[700], src[700], dst[1000];
    snprintf(work, sizeof work, "%s/fx", tmpdir);
    for (int i = 0; i < nn; i++) {
        if (snprintf(src, sizeof src, "%s/%s", dir, names[i]) >= (int)sizeof src) continue;
        try_path(src);
        struct stat st;
        if (stat(src, &st) || !S_ISREG(st.st_mode)) continue;
        long sz = (long)st.st_size;
        long cuts[] = {0, 1, 8, 24, sz / 3, sz / 2, sz - 1, -1, -1, -1};
        long pokes[] = {-1, -1, -1, -1, -1, -1, -1, 0, 8, sz / 4};
        for (size_t v = 0; v < sizeof cuts / sizeof cuts[0]; v++) {
            mkdir(work, 0700);
            for (int k = 0; k < nn; k++) {
                char a[700];
                if (snprintf(a, sizeof a, "%s/%s", dir, names[k]) >= (int)sizeof a) continue;
                if (snprintf(dst, sizeof dst, "%s/%s", work, names[k]) >= (int)sizeof dst) continue;
                copy_cut(a, dst, k == i ? cuts[v] : -1, k == i ? pokes[v] : -1);
            }
            if (snprintf(dst, sizeof dst, "%s/%s", work, names[i]) >= (int)sizeof dst) continue;
            try_path(dst);
            try_path(work);
            for (int k = 0; k < nn; k++) {
                if (snprintf(dst, sizeof dst, "%s/%s", work, names[k]) >= (int)sizeof dst) continue;
                unlink(dst);
            }
            rmdir(work);
        }
    }
}

int main(void)
{
    if (!mkdtemp(tmpdir)) { perror("mkdtemp"); return 1; }
    const char *root = getenv("ROOT") ? getenv("ROOT") : ".";
    char p[700];
    snprintf(p, sizeof p, "%s/examples", root);
    try_fixture(p);
    try_path("/nonexistent/model.safetensors");
    try_path("");
    try_path("/proc/self/mem");
    try_path(tmpdir);
    /* remote-looking names fail without a network */
    try_path("hf://");
    ckpt_hub_listing *l = NULL;
    if (!ckpt_hub_list("not a url", &l, NULL)) ckpt_hub_listing_free(l);
    int nfix = 0;
    snprintf(p, sizeof p, "%s/../shared/fixtures/real", root);
    DIR *kinds = opendir(p);
    struct dirent *k;
    while (kinds && (k = readdir(kinds))) {
        if (k->d_name[0] == '.') continue;
        char kd[1000];
        if (snprintf(kd, sizeof kd, "%s/%s", p, k->d_name) >= (int)sizeof kd) continue;
        DIR *one = opendir(kd);
        struct dirent *f;
        while (one && (f = readdir(one))) {
            if (f->d_name[0] == '.') continue;
            char fd[1300];
            if (snprintf(fd, sizeof fd, "%s/%s", kd, f->d_name) >= (int)sizeof fd) continue;
            try_fixture(fd);
            nfix++;
        }
        if (one) closedir(one);
    }
    if (kinds) closedir(kinds);
    rmdir(tmpdir);
    if (!nfix) printf("SKIP nullerr_real: skipped: ../shared missing\n");
    if (!failures) printf("PASS nullerr (%d inputs, %d real fixtures, NULL err and err)\n", runs, nfix);
    return failures ? 1 : 0;
}
