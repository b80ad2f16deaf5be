/* src/keras_zip.c: the members of a Keras 3 `.keras` zip, checked before
 * anything is read: names must stay inside the archive (no absolute path,
 * no "..", no backslash or drive letters), sizes must be sane (Keras' own
 * loader refuses "zip bombs": members that expand far beyond their
 * compressed size), and model.weights.h5 must be there. */
#include "keras_zip.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

int kz_name_safe(const char *n)
{
    if (!n || !n[0]) return 0;
    if (n[0] == '/' || n[0] == '\\') return 0;
    if (strchr(n, '\\')) return 0;
    if (((n[0] >= 'A' && n[0] <= 'Z') || (n[0] >= 'a' && n[0] <= 'z')) && n[1] == ':') return 0;
    const char *p = n;
    while (*p) {
        const char *e = strchr(p, '/');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (l == 2 && p[0] == '.' && p[1] == '.') return 0;
        p += l;
        if (*p == '/') p++;
    }
    for (p = n; *p; p++)
        if ((unsigned char)*p < 0x20) return 0;
    return 1;
}

static int too_expanded(const zip_stat_t *s)
{
    if (!(s->valid & ZIP_STAT_SIZE) || !(s->valid & ZIP_STAT_COMP_SIZE)) return 0;
    if (s->size <= KZ_EXPANSION_FLOOR) return 0;
    return s->size / (s->comp_size ? s->comp_size : 1) > KZ_MAX_EXPANSION;
}

int kz_scan(zip_t *z, const char *shown, kz_members *out, ckpt_err *err)
{
    memset(out, 0, sizeof *out);
    out->config = out->metadata = out->weights = out->weights_json = -1;
    zip_int64_t n = zip_get_num_entries(z, 0);
    if (n < 0) return ckpt_err_set(err, CKPT_E_FORMAT, "corrupt zip: cannot list members");
    if (n > KZ_MAX_MEMBERS) return ckpt_err_set(err, CKPT_E_FORMAT, "zip has too many members (%lld)", (long long)n);
    for (zip_int64_t i = 0; i < n; i++) {
        zip_stat_t s;
        zip_stat_init(&s);
        if (zip_stat_index(z, (zip_uint64_t)i, 0, &s) < 0 || !(s.valid & ZIP_STAT_NAME))
            return ckpt_err_set(err, CKPT_E_FORMAT, "corrupt zip: member %lld unreadable", (long long)i);
        if (!kz_name_safe(s.name)) {
            ckpt_err_set(err, CKPT_E_UNSAFE, "zip member '%s' would land outside the archive (absolute path or '..'): refused", s.name);
            ckpt_err_at_tensor(err, s.name);
            return CKPT_E_UNSAFE;
        }
        if (too_expanded(&s)) {
            ckpt_err_set(err, CKPT_E_UNSAFE, "zip member '%s' expands %llu bytes from %llu (zip bomb?): refused", s.name,
                         (unsigned long long)s.size, (unsigned long long)s.comp_size);
            return CKPT_E_UNSAFE;
        }
        if (!strcmp(s.name, "config.json")) out->config = i;
        else if (!strcmp(s.name, "metadata.json")) out->metadata = i;
        else if (!strcmp(s.name, "model.weights.h5")) out->weights = i;
        else if (!strcmp(s.name, "model.weights.json")) out->weights_json = i;
        else if (!strncmp(s.name, "assets/", 7)) out->nassets++;
        if ((int)i == out->weights) out->weights_size = s.size;
    }
    (void)shown;
    return 0;
}

int kz_read_small(zip_t *z, zip_int64_t idx, size_t max, char **out, size_t *len, ckpt_err *err)
{
    *out = NULL;
    zip_stat_t s;
    zip_stat_init(&s);
    if (zip_stat_index(z, (zip_uint64_t)idx, 0, &s) < 0 || !(s.valid & ZIP_STAT_SIZE))
        return ckpt_err_set(err, CKPT_E_FORMAT, "corrupt zip member");
    if (s.size > max)
        return ckpt_err_set(err, CKPT_E_FORMAT, "zip member '%s' is too large (%llu bytes)", s.name,
                            (unsigned long long)s.size);
    zip_file_t *f = zip_fopen_index(z, (zip_uint64_t)idx, 0);
    if (!f) return ckpt_err_set(err, CKPT_E_FORMAT, "cannot open zip member '%s': %s", s.name, kz_fopen_why(z));
    char *b = malloc((size_t)s.size + 1);
    if (!b) { zip_fclose(f); return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"); }
    zip_int64_t got = 0;
    while ((zip_uint64_t)got < s.size) {
        zip_int64_t r = zip_fread(f, b + got, s.size - (zip_uint64_t)got);
        if (r <= 0) break;
        got += r;
    }
    /* zip_fread checks the CRC at the end of the member */
    char probe;
    if ((zip_uint64_t)got != s.size || zip_fread(f, &probe, 1) != 0) {
        const char *why = zip_file_strerror(f);
        ckpt_err_set(err, CKPT_E_FORMAT, "corrupt zip member '%s': %s", s.name, why ? why : "short read");
        zip_fclose(f);
        free(b);
        return CKPT_E_FORMAT;
    }
    zip_fclose(f);
    b[got] = 0;
    *out = b;
    *len = (size_t)got;
    return 0;
}

int kz_extract_fd(zip_t *z, zip_int64_t idx, int fd, ckpt_err *err)
{
    zip_stat_t s;
    zip_stat_init(&s);
    if (zip_stat_index(z, (zip_uint64_t)idx, 0, &s) < 0) return ckpt_err_set(err, CKPT_E_FORMAT, "corrupt zip member");
    zip_file_t *f = zip_fopen_index(z, (zip_uint64_t)idx, 0);
    if (!f) return ckpt_err_set(err, CKPT_E_FORMAT, "cannot open zip member '%s': %s", s.name, kz_fopen_why(z));
    enum { BUF = 1 << 20 };
    char *b = malloc(BUF);
    if (!b) { zip_fclose(f); return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"); }
    uint64_t total = 0;
    int rc = 0;
    for (;;) {
        zip_int64_t r = zip_fread(f, b, BUF);
        if (r < 0) {
            const char *why = zip_file_strerror(f);
            rc = ckpt_err_set(err, CKPT_E_FORMAT, "corrupt zip member '%s': %s", s.name, why ? why : "read error");
            break;
        }
        if (r == 0) break;
        total += (uint64_t)r;
        /* never more than declared (libzip enforces it too) */
        if ((s.valid & ZIP_STAT_SIZE) && total > s.size) {
            rc = ckpt_err_set(err, CKPT_E_FORMAT, "zip member '%s' is longer than declared", s.name);
            break;
        }
        if (fd >= 0 && ckpt__write_full(fd, b, (size_t)r)) {
            rc = ckpt_err_sys(err, CKPT_E_IO, errno, "cannot write the temporary copy of '%s'", s.name);
            break;
        }
    }
    if (!rc && (s.valid & ZIP_STAT_SIZE) && total != s.size)
        rc = ckpt_err_set(err, CKPT_E_FORMAT, "zip member '%s' is truncated (%llu of %llu bytes)", s.name,
                          (unsigned long long)total, (unsigned long long)s.size);
    free(b);
    zip_fclose(f);
    return rc;
}

int kz_open_fail(const char *path, int ze, const char *what, ckpt_err *err)
{
    zip_error_t ze_;
    zip_error_init_with_code(&ze_, ze);
    const char *why = zip_error_strerror(&ze_);
    unsigned char head[4] = {0};
    struct stat sb;
    int fd = open(path, O_RDONLY | O_CLOEXEC), zipstart = 0;
    long long size = -1;
    if (fd >= 0) {
        zipstart = pread(fd, head, 4, 0) == 4 && !memcmp(head, "PK\x03\x04", 4);
        if (!fstat(fd, &sb)) size = (long long)sb.st_size;
        close(fd);
    }
    if (zipstart && ze == ZIP_ER_NOZIP)
        /* the local headers are there, the directory at the end is not */
        ckpt_err_set(err, CKPT_E_FORMAT, "truncated or damaged zip: no central directory found at the end of its %lld bytes "
                     "(incomplete download?)", size);
    else if (zipstart && (ze == ZIP_ER_INCONS || ze == ZIP_ER_EOF || ze == ZIP_ER_MULTIDISK))
        ckpt_err_set(err, CKPT_E_FORMAT, "damaged zip: its central directory is inconsistent (%s)",
                     why);
    else
        ckpt_err_set(err, CKPT_E_FORMAT, "not %s: %s", what, why);
    zip_error_fini(&ze_);
    ckpt_err_at_path(err, path);
    return CKPT_E_FORMAT;
}

const char *kz_fopen_why(zip_t *z)
{
    int ze = zip_error_code_zip(zip_get_error(z));
    if (ze == ZIP_ER_NOPASSWD || ze == ZIP_ER_ENCRNOTSUPP)
        return "it is flagged encrypted (a damaged directory entry, or not a plain zip)";
    if (ze == ZIP_ER_COMPNOTSUPP)
        return "unknown compression method (a damaged directory entry?)";
    return zip_strerror(z);
}
