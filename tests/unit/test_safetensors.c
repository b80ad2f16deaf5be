/* Unit tests of the safetensors header parser: each validation rule of the
 * reference implementation (safetensors/src/tensor.rs) gets its own named
 * check on a file built in memory. Prints PASS/FAIL lines for tests/run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "formats/fmt_safetensors.h"
#include "formats/st_fast.h"

static int failures;

/* Build "u64 N | header | data" with `data_len` zero bytes. */
static unsigned char *mkfile(const char *hdr, size_t data_len, size_t *size)
{
    size_t n = strlen(hdr);
    *size = 8 + n + data_len;
    unsigned char *b = calloc(1, *size + 1);
    for (int i = 0; i < 8; i++) b[i] = (unsigned char)((uint64_t)n >> (8 * i));
    memcpy(b + 8, hdr, n);
    return b;
}

/* Parse; expect success (want == NULL) or a FORMAT/UNSUPPORTED error whose
 * message contains `want`. */
static void expect(const char *name, const unsigned char *buf, size_t size, const char *want,
                   const char *want_tensor)
{
    ckpt_err err;
    ckpt_err_clear(&err);
    ckpt_st_header h;
    int rc = ckpt__st_parse_buffer(buf, size, "x.safetensors", &h, &err);
    char line[1600];
    ckpt_err_line(&err, line, sizeof line);
    if (!want) {
        if (rc) { printf("FAIL %s: unexpected error: %s\n", name, line); failures++; }
        else printf("PASS %s\n", name);
        if (!rc) ckpt__st_header_free(&h);
        return;
    }
    if (!rc) { printf("FAIL %s: accepted, wanted '%s'\n", name, want); failures++; ckpt__st_header_free(&h); return; }
    if (!strstr(err.msg, want)) { printf("FAIL %s: message '%s' lacks '%s'\n", name, err.msg, want); failures++; return; }
    if (strcmp(err.path, "x.safetensors")) { printf("FAIL %s: path '%s'\n", name, err.path); failures++; return; }
    if (want_tensor && strcmp(err.tensor, want_tensor)) {
        printf("FAIL %s: tensor '%s', wanted '%s'\n", name, err.tensor, want_tensor); failures++; return;
    }
    if (strchr(line, '\n')) { printf("FAIL %s: multi-line message\n", name); failures++; return; }
    printf("PASS %s\n", name);
}

static void hdr(const char *name, const char *h, size_t data_len, const char *want, const char *tensor)
{
    size_t size;
    unsigned char *b = mkfile(h, data_len, &size);
    expect(name, b, size, want, tensor);
    free(b);
}

static void index_case(const char *name, const char *txt, const char *want, int nshards)
{
    ckpt_err err;
    ckpt_err_clear(&err);
    cJSON *root;
    char **names;
    int n;
    int rc = ckpt__st_parse_index(txt, strlen(txt), "i.json", &root, &names, &n, &err);
    if (!want) {
        /* natural order: m-2 before m-10 */
        if (rc || n != nshards || (n == 2 && strcmp(names[0], "m-2.safetensors"))) {
            printf("FAIL %s: rc %d n %d: %s\n", name, rc, n, err.msg); failures++;
        } else printf("PASS %s\n", name);
    } else if (!rc || !strstr(err.msg, want)) {
        printf("FAIL %s: rc %d msg '%s', wanted '%s'\n", name, rc, err.msg, want); failures++;
    } else printf("PASS %s\n", name);
    if (!rc) {
        for (int i = 0; i < n; i++) free(names[i]);
        free(names);
        cJSON_Delete(root);
    }
}

#define T(a, b) "\"" a "\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":" b "}"

/* Open `h` written as a file through ckpt_open: the model's tensors are
 * the header's, in offset order (want[] names, shapes [k+1, 2]), found by
 * name, and the tree (built on first ask) has a leaf per tensor at its name.
 * Names in file order take the kept-in-buffer path, others the copy. */
/* mkfile's bytes as a file at path (a mkstemp template): 1 when written. */
static int mkfile_at(char *path, const char *h, size_t data_len)
{
    int fd = mkstemp(path);
    size_t size;
    unsigned char *b = mkfile(h, data_len, &size);
    int ok = fd >= 0 && write(fd, b, size) == (ssize_t)size;
    free(b);
    if (fd >= 0) close(fd);
    return ok;
}

static void open_case(const char *name, const char *h, size_t data_len, const char *const *want, int n)
{
    char path[] = "/tmp/ckpt-test-st-XXXXXX";
    int ok = mkfile_at(path, h, data_len);
    ckpt_model *m = NULL;
    ckpt_err err;
    ckpt_err_clear(&err);
    ok = ok && !ckpt_open_as(path, "safetensors", &m, &err) && ckpt_model_ntensors(m) == n;
    for (int i = 0; ok && i < n; i++) {
        const ckpt_tensor *t = ckpt_model_tensor(m, i);
        ok = !strcmp(t->name, want[i]) && t->ndim == 2 && t->shape[0] == i + 1 && t->shape[1] == 2 &&
             ckpt_model_find(m, want[i]) == i && t->node == -1;
    }
    ok = ok && ckpt_model_find(m, "nope") == -1;
    for (int i = 0; ok && i < n; i++) {
        int nd = ckpt_model_nnodes(m) ? ckpt_model_tensor(m, i)->node : -1;
        const ckpt_node *x = ckpt_model_node(m, nd);
        ok = x && x->tensor == i && !strcmp(x->path, want[i]);
    }
    ok = ok && ckpt_model_node(m, 0)->ntensors == n;
    if (ok) printf("PASS %s\n", name);
    else { printf("FAIL %s: %s\n", name, err.msg); failures++; }
    ckpt_close(m);
    unlink(path);
}

#define TS(a, s, b) "\"" a "\":{\"dtype\":\"F32\",\"shape\":" s ",\"data_offsets\":" b "}"

/* The fast path's name scan (eight bytes a step) at every length and
 * position up to 24: a plain name (ASCII, UTF-8, space, '~') comes back
 * byte for byte; an escape or a control byte anywhere sends the header to
 * the full parser (-1) with the text unchanged. */
static void fast_name_scan(void)
{
    static const char *const ins[] = {"", "\xc3\xa9", " ", "~", "\xe2\x82\xac", "\\n", "\x01", "\x1f", "\t"};
    int bad = 0, cases = 0;
    for (int L = 0; L <= 24; L++)
        for (int p = 0; p <= L; p++)
            for (size_t k = 0; k < sizeof ins / sizeof *ins; k++) {
                char name[64], hdr[256], keep[256];
                snprintf(name, sizeof name, "%.*s%s%.*s", p, "abcdefghijklmnopqrstuvwxyz", ins[k], L - p, "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
                int n = snprintf(hdr, sizeof hdr, "{\"%s\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", name);
                memcpy(keep, hdr, (size_t)n + 1);
                int plain = k < 5;
                ckpt_st_fast f;
                memset(&f, 0, sizeof f);
                int rc = ckpt__st_fast_parse(hdr, (size_t)n, 4, &f);
                int ok = plain ? rc == 0 && f.n == 1 && !strcmp(f.base + f.e[0].name, name)
                               : rc == -1 && !memcmp(hdr, keep, (size_t)n);
                if (!rc) ckpt__st_fast_free(&f);
                bad += !ok;
                cases++;
                if (!ok && bad < 4) printf("# fast name scan: L=%d p=%d insert %zu: rc %d\n", L, p, k, rc);
            }
    if (bad) { printf("FAIL fast_name_scan: %d of %d cases\n", bad, cases); failures++; }
    else printf("PASS fast_name_scan (%d cases)\n", cases);
}

int main(void)
{
    fast_name_scan();
    {
        const char *const w[] = {"model.layers.0.w", "model.layers.1.w", "model.norm"};
        open_case("open_names_kept", "{" TS("model.layers.0.w", "[1,2]", "[0,8]") "," TS("model.layers.1.w", "[2,2]", "[8,24]")
                  "," TS("model.norm", "[3,2]", "[24,48]") "}", 48, w, 3);
        /* header order differs from offset order: names copied */
        open_case("open_names_copied", "{" TS("model.norm", "[3,2]", "[24,48]") "," TS("model.layers.0.w", "[1,2]", "[0,8]")
                  "," TS("model.layers.1.w", "[2,2]", "[8,24]") "}", 48, w, 3);
    }
    {   /* a name twice: the full parser's message, from the header read again */
        char path[] = "/tmp/ckpt-test-st-XXXXXX";
        int wr = mkfile_at(path, "{" T("a", "[0,8]") "," T("a", "[8,16]") "}", 16);
        ckpt_model *m = NULL;
        ckpt_err err;
        ckpt_err_clear(&err);
        int rc = wr ? ckpt_open_as(path, "safetensors", &m, &err) : -1;
        if (rc > 0 && strstr(err.msg, "duplicate name in header") && !strcmp(err.tensor, "a")) printf("PASS open_duplicate_name\n");
        else { printf("FAIL open_duplicate_name: rc %d '%s'\n", rc, err.msg); failures++; }
        ckpt_close(m);
        unlink(path);
    }
    /* valid files */
    hdr("valid_single", "{" T("a", "[0,8]") "}", 8, NULL, NULL);
    hdr("valid_padded", "{" T("a", "[0,8]") "}      ", 8, NULL, NULL);
    hdr("valid_empty", "{}", 0, NULL, NULL);
    hdr("valid_scalar_and_empty_dim",
        "{\"s\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[0,8]},"
        "\"z\":{\"dtype\":\"F16\",\"shape\":[3,0],\"data_offsets\":[8,8]}}", 8, NULL, NULL);
    hdr("valid_metadata", "{\"__metadata__\":{\"format\":\"pt\"}," T("a", "[0,8]") "}", 8, NULL, NULL);
    {   /* out-of-order header entries come back in offset order */
        size_t size;
        unsigned char *b = mkfile("{" T("b", "[8,16]") "," T("a", "[0,8]") "}", 16, &size);
        ckpt_err err; ckpt_err_clear(&err);
        ckpt_st_header h;
        if (ckpt__st_parse_buffer(b, size, "x", &h, &err) || h.n != 2 || strcmp(h.t[0].name, "a") ||
            h.t[1].begin != 8 || h.data_start != 8 + strlen((char *)b + 8)) {
            printf("FAIL valid_sorted_by_offset\n"); failures++;
        } else printf("PASS valid_sorted_by_offset\n");
        if (!err.code) ckpt__st_header_free(&h);
        free(b);
    }

    /* length prefix */
    {
        unsigned char small[5] = {1, 0, 0, 0, 0};
        expect("error_header_too_small", small, sizeof small, "too small", NULL);
        unsigned char big[16] = {0};
        uint64_t n = 100000001;
        for (int i = 0; i < 8; i++) big[i] = (unsigned char)(n >> (8 * i));
        big[8] = '{';
        expect("error_header_too_large", big, sizeof big, "exceeds the safetensors limit", NULL);
        unsigned char past[16] = {200, 0, 0, 0, 0, 0, 0, 0, '{', '}'};
        expect("error_header_length_past_eof", past, sizeof past, "runs past the end of the file", NULL);
        unsigned char huge[16] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, '{', '}'};
        expect("error_header_length_u64_max", huge, sizeof huge, "exceeds", NULL);
    }

    /* header text */
    hdr("error_not_object", "[1,2]", 0, "does not start with '{'", NULL);
    hdr("error_bad_json", "{\"a\":", 0, "not valid JSON", NULL);
    hdr("error_trailing_garbage_json", "{} x", 0, "not valid JSON", NULL);
    hdr("error_invalid_utf8", "{\"\xff\xfe\":1}", 0, "not valid UTF-8", NULL);
    {
        size_t size;
        unsigned char *b = mkfile("{}  ", 0, &size);
        b[10] = 0;
        expect("error_nul_in_header", b, size, "NUL byte", NULL);
        free(b);
    }
    hdr("error_duplicate_name", "{" T("a", "[0,8]") "," T("a", "[8,16]") "}", 16, "duplicate name", "a");
    hdr("error_duplicate_field",
        "{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8,
        "duplicate field", "a");
    hdr("error_entry_not_object", "{\"a\":3}", 0, "not an object", "a");
    hdr("error_missing_dtype", "{\"a\":{\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "lacks \"dtype\"", "a");
    hdr("error_unknown_dtype", "{\"a\":{\"dtype\":\"F33\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8,
        "unknown dtype 'F33'", "a");
    hdr("error_unsupported_dtype", "{\"a\":{\"dtype\":\"C64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8,
        "not supported", "a");
    hdr("error_negative_shape", "{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8,
        "shape entry -2", "a");
    hdr("error_fractional_shape", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,8]}}", 8,
        "shape entry 1.5", "a");
    hdr("error_shape_not_array", "{\"a\":{\"dtype\":\"F32\",\"shape\":2,\"data_offsets\":[0,8]}}", 8,
        "not an array", "a");
    hdr("error_too_many_dims",
        "{\"a\":{\"dtype\":\"U8\",\"shape\":[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,1]}}", 1,
        "at most 8", "a");
    hdr("error_shape_overflow",
        "{\"a\":{\"dtype\":\"U8\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,1]}}", 1,
        "overflows", "a");
    hdr("error_offsets_not_pair", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0]}}", 8,
        "not a pair", "a");
    hdr("error_offsets_reversed", "{" T("a", "[8,0]") "}", 8, "end before they begin", "a");
    hdr("error_size_mismatch", "{" T("a", "[0,12]") "}", 12, "needs 8", "a");
    hdr("error_offsets_past_buffer", "{" T("a", "[0,8]") "}", 4, "past the end of the data buffer", "a");
    hdr("error_overlap", "{" T("a", "[0,8]") ",\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8,
        "overlap tensor 'a'", "b");
    hdr("error_hole", "{" T("a", "[0,8]") "," T("b", "[12,20]") "}", 20, "hole of 4 bytes", "b");
    hdr("error_leading_hole", "{" T("a", "[4,12]") "}", 12, "used by no tensor", "a");
    hdr("error_trailing_bytes", "{" T("a", "[0,8]") "}", 11, "3 trailing bytes", NULL);
    hdr("error_metadata_not_string", "{\"__metadata__\":{\"k\":1}}", 0, "not a string", NULL);
    hdr("error_metadata_not_object", "{\"__metadata__\":[]}", 0, "__metadata__ is not an object", NULL);

    /* index.json */
    index_case("index_valid", "{\"metadata\":{\"total_size\":8},\"weight_map\":{\"a\":\"m-2.safetensors\","
               "\"b\":\"m-10.safetensors\",\"c\":\"m-2.safetensors\"}}", NULL, 2);
    index_case("index_no_weight_map", "{\"metadata\":{}}", "no \"weight_map\"", 0);
    index_case("index_duplicate", "{\"weight_map\":{\"a\":\"x.safetensors\",\"a\":\"y.safetensors\"}}",
               "duplicate name in weight_map", 0);
    index_case("index_path_escape", "{\"weight_map\":{\"a\":\"../x.safetensors\"}}", "not a shard file name", 0);
    index_case("index_absolute_path", "{\"weight_map\":{\"a\":\"/etc/passwd\"}}", "not a shard file name", 0);
    index_case("index_not_string", "{\"weight_map\":{\"a\":3}}", "not a shard file name", 0);
    index_case("index_empty_weight_map", "{\"weight_map\":{}}", "empty", 0);
    index_case("index_bad_json", "{\"weight_map\":{", "not valid JSON", 0);

    return failures ? 1 : 0;
}
