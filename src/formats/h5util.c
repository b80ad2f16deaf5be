/* src/h5util.c: libhdf5 helpers (see h5util.h). */
#include "h5util.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static pthread_once_t h5_once = PTHREAD_ONCE_INIT;
static void h5_init_once(void)
{
    /* libhdf5's exit handler closes what is still open: after a write error
     * (disk full, EIO) its flush of the broken file crashes in H5F__close_cb
     * (1.10). Files are closed by their owners, so the handler has nothing
     * to do but crash: do without it. */
    H5dont_atexit();
    H5open();
    /* The library never prints: errors are read from the stack instead. */
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}
void ckpt_h5_init(void) { pthread_once(&h5_once, h5_init_once); }

/* libhdf5 1.10 loses an object header when a damaged one fails to load
 * (H5Dopen2 -> H5O_protect -> H5C_protect: 424 bytes, nothing we hold).
 * Under LeakSanitizer (make asan) allocations made inside libhdf5 are its
 * own; ids we leave open are freed by its atexit hook either way. And
 * glibc's setlocale keeps the LOCPATH search list it builds with
 * argz_add_sep for the life of the process (t_locale). Here, not in a file of
 * its own: a static library member nothing refers to would not be linked. */
#ifndef __has_feature
#define __has_feature(x) 0
#endif
#if defined(__SANITIZE_ADDRESS__) || __has_feature(address_sanitizer)
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) { return "leak:libhdf5\nleak:argz_add_sep\n"; }
/* ... and a suppressed leak is not worth a report on stderr */
const char *__lsan_default_options(void);
const char *__lsan_default_options(void) { return "print_suppressions=0"; }
#endif

/* Keep the innermost description (the most specific cause). */
static herr_t walk_cb(unsigned n, const H5E_error2_t *e, void *ud)
{
    char *out = ud;
    if (out[0]) return 0;   /* walking upward: the first is the innermost */
    if (e->desc && e->desc[0]) snprintf(out, 200, "%s", e->desc);
    else {
        char m[160];
        if (H5Eget_msg(e->min_num, NULL, m, sizeof m) > 0) snprintf(out, 200, "%s", m);
    }
    return 0;
}

int ckpt_h5_fail(ckpt_err *err, ckpt_code code, const char *file, const char *obj,
                 const char *fmt, ...)
{
    char msg[400], detail[200] = "";
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, walk_cb, detail);
    H5Eclear2(H5E_DEFAULT);
    /* the sec2 driver's "file write failed: time = ..., filename = ..., errno
     * = 28, error message = 'No space left on device', buf = 0x..." : keep the
     * message (the temporary's name and a pointer say nothing to a user) */
    const char *em = strstr(detail, "error message = '");
    if (em) {
        char tmp[200];
        snprintf(tmp, sizeof tmp, "%s", em + 17);
        char *q = strchr(tmp, '\'');
        if (q) *q = 0;
        snprintf(detail, sizeof detail, "%s", tmp);
    }
    if (detail[0]) ckpt_err_set(err, code, "%s (%s)", msg, detail);
    else ckpt_err_set(err, code, "%s", msg);
    if (file) ckpt_err_at_path(err, file);
    if (obj) ckpt_err_at_tensor(err, obj);
    return code;
}

/* Superblock layout (HDF5 file format spec, "Superblock"): versions 0 and
 * 1 keep the base address at byte 24 (28 for 1), versions 2 and 3 at 12;
 * the end-of-file address is the third address after it in both. */
int ckpt_h5_truncated(int fd, uint64_t *have, uint64_t *need)
{
    unsigned char b[64];
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) || !S_ISREG(sb.st_mode)) return 0;
    ssize_t n = pread(fd, b, sizeof b, 0);
    if (n < 8 || memcmp(b, "\x89HDF\r\n\x1a\n", 8)) return 0;
    *have = (uint64_t)sb.st_size;
    *need = 0;
    if (n < 14) return 1;
    int v = b[8];
    size_t o = v <= 1 ? b[13] : b[9], base_at = v == 0 ? 24 : v == 1 ? 28 : 12;
    if (v > 3 || (o != 4 && o != 8)) return 0;
    if ((size_t)n < base_at + 3 * o) return 1;
    uint64_t base = 0, eof = 0;
    for (size_t i = o; i-- > 0;) {
        base = base << 8 | b[base_at + i];
        eof = eof << 8 | b[base_at + 2 * o + i];
    }
    if (base != 0 || eof == (o == 8 ? UINT64_MAX : UINT32_MAX)) return 0;
    if (*have >= eof) return 0;
    *need = eof;
    return 1;
}

void ckpt_strv_free(ckpt_strv *s)
{
    if (!s) return;
    for (int i = 0; i < s->n; i++) free(s->v[i]);
    free(s->v);
    s->v = NULL;
    s->n = 0;
}

static int strv_push(ckpt_strv *s, char *str)
{
    char **nv = realloc(s->v, (size_t)(s->n + 1) * sizeof *nv);
    if (!nv) { free(str); return -1; }
    s->v = nv;
    s->v[s->n++] = str;
    return 0;
}

/* Append the values of one attribute to out. */
static int read_one_attr(hid_t attr, ckpt_strv *out, ckpt_err *err)
{
    int rc = 0;
    hid_t type = H5Aget_type(attr), space = H5Aget_space(attr);
    if (type < 0 || space < 0) { rc = -CKPT_E_FORMAT; goto done; }
    hssize_t npts = H5Sget_simple_extent_npoints(space);
    if (npts < 0 || npts > 10000000) { rc = -CKPT_E_FORMAT; goto done; }
    if (H5Tget_class(type) != H5T_STRING || npts == 0) goto done; /* empty list */
    if (H5Tis_variable_str(type) > 0) {
        char **v = calloc((size_t)npts, sizeof *v);
        hid_t mt = H5Tcopy(H5T_C_S1);
        H5Tset_size(mt, H5T_VARIABLE);
        H5Tset_cset(mt, H5Tget_cset(type));
        if (!v || H5Aread(attr, mt, v) < 0) {
            free(v); H5Tclose(mt);
            rc = v ? -CKPT_E_FORMAT : -CKPT_E_NOMEM;
            goto done;
        }
        for (hssize_t i = 0; i < npts; i++) {
            if (rc == 0 && strv_push(out, ckpt__strdup(v[i] ? v[i] : "")) < 0) rc = -CKPT_E_NOMEM;
        }
        H5Dvlen_reclaim(mt, space, H5P_DEFAULT, v);
        H5Tclose(mt);
        free(v);
    } else {
        size_t sz = H5Tget_size(type);
        if (sz == 0 || sz > (1u << 26) || (uint64_t)sz * (uint64_t)npts > (1u << 28)) {
            rc = -CKPT_E_FORMAT;
            goto done;
        }
        char *buf = malloc(sz * (size_t)npts);
        if (!buf) { rc = -CKPT_E_NOMEM; goto done; }
        if (H5Aread(attr, type, buf) < 0) { free(buf); rc = -CKPT_E_FORMAT; goto done; }
        for (hssize_t i = 0; i < npts && rc == 0; i++) {
            const char *p = buf + (size_t)i * sz;
            size_t len = strnlen(p, sz);   /* NULPAD/NULTERM: stop at the first NUL */
            if (H5Tget_strpad(type) == H5T_STR_SPACEPAD)
                while (len > 0 && p[len - 1] == ' ') len--;
            if (strv_push(out, ckpt__strndup(p, len)) < 0) rc = -CKPT_E_NOMEM;
        }
        free(buf);
    }
done:
    if (type >= 0) H5Tclose(type);
    if (space >= 0) H5Sclose(space);
    if (rc == -CKPT_E_NOMEM) ckpt_err_set(err, CKPT_E_NOMEM, "out of memory reading attribute");
    return rc;
}

int ckpt_h5_attr_strv(hid_t obj, const char *name, ckpt_strv *out, ckpt_err *err)
{
    out->v = NULL;
    out->n = 0;
    htri_t ex = H5Aexists(obj, name);
    if (ex < 0) { H5Eclear2(H5E_DEFAULT); return 0; }
    if (ex > 0) {
        hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
        if (a < 0) { H5Eclear2(H5E_DEFAULT); return -ckpt_err_set(err, CKPT_E_FORMAT, "cannot open attribute '%s'", name); }
        int rc = read_one_attr(a, out, err);
        H5Aclose(a);
        if (rc < 0) {
            ckpt_strv_free(out);
            H5Eclear2(H5E_DEFAULT);
            return -ckpt_err_set(err, (ckpt_code)-rc, "cannot read attribute '%s'", name);
        }
        return 1;
    }
    /* chunked: name0, name1, ... until absent */
    int found = 0;
    for (int i = 0; i < 100000; i++) {
        char cn[300];
        snprintf(cn, sizeof cn, "%s%d", name, i);
        if (H5Aexists(obj, cn) <= 0) break;
        hid_t a = H5Aopen(obj, cn, H5P_DEFAULT);
        int rc = a < 0 ? -CKPT_E_FORMAT : read_one_attr(a, out, err);
        if (a >= 0) H5Aclose(a);
        if (rc < 0) {
            ckpt_strv_free(out);
            H5Eclear2(H5E_DEFAULT);
            return -ckpt_err_set(err, (ckpt_code)-rc, "cannot read attribute '%s'", cn);
        }
        found = 1;
    }
    H5Eclear2(H5E_DEFAULT);
    return found;
}

char *ckpt_h5_attr_str(hid_t obj, const char *name, ckpt_err *err)
{
    ckpt_strv s;
    int rc = ckpt_h5_attr_strv(obj, name, &s, err);
    if (rc <= 0) return NULL;
    char *r = NULL;
    if (s.n > 0) { r = s.v[0]; s.v[0] = NULL; }
    else r = ckpt__strdup("");
    for (int i = 1; i < s.n; i++) free(s.v[i]);
    free(s.v);
    return r;
}

ckpt_dtype ckpt_h5_dtype(hid_t dset, hid_t *memtype, int *direct_ok)
{
    *memtype = -1;
    *direct_ok = 0;
    hid_t ft = H5Dget_type(dset);
    if (ft < 0) { H5Eclear2(H5E_DEFAULT); return CKPT_DT_INVALID; }
    ckpt_dtype dt = CKPT_DT_INVALID;
    size_t sz = H5Tget_size(ft);
    H5T_class_t cls = H5Tget_class(ft);
    if (cls == H5T_INTEGER) {
        int sgn = H5Tget_sign(ft) == H5T_SGN_2;
        switch (sz) {
        case 1: dt = sgn ? CKPT_I8 : CKPT_U8; break;
        case 2: dt = sgn ? CKPT_I16 : CKPT_U16; break;
        case 4: dt = sgn ? CKPT_I32 : CKPT_U32; break;
        case 8: dt = sgn ? CKPT_I64 : CKPT_U64; break;
        }
    } else if (cls == H5T_FLOAT) {
        /* Identify by bit layout: h5py float16 is a custom IEEE half. */
        size_t spos, epos, esz, mpos, msz;
        H5Tget_fields(ft, &spos, &epos, &esz, &mpos, &msz);
        if (sz == 2 && esz == 5 && msz == 10) dt = CKPT_F16;
        else if (sz == 2 && esz == 8 && msz == 7) dt = CKPT_BF16;
        else if (sz == 4 && esz == 8 && msz == 23) dt = CKPT_F32;
        else if (sz == 8 && esz == 11 && msz == 52) dt = CKPT_F64;
    } else if (cls == H5T_ENUM && sz == 1) {
        /* h5py stores numpy bool as an enum over int8 {FALSE, TRUE} */
        dt = CKPT_BOOL;
    } else if (cls == H5T_OPAQUE && sz == 2) {
        /* Keras 3 bfloat16: opaque 2-byte type, dataset attr dtype="bfloat16" */
        ckpt_err e;
        ckpt_err_clear(&e);
        char *tag = ckpt_h5_attr_str(dset, "dtype", &e);
        if (tag && strcmp(tag, "bfloat16") == 0) dt = CKPT_BF16;
        free(tag);
    } else if (cls == H5T_OPAQUE && sz == 1) {
        ckpt_err e;
        ckpt_err_clear(&e);
        char *tag = ckpt_h5_attr_str(dset, "dtype", &e);
        if (tag && strcmp(tag, "float8_e4m3fn") == 0) dt = CKPT_F8_E4M3;
        else if (tag && strcmp(tag, "float8_e5m2") == 0) dt = CKPT_F8_E5M2;
        free(tag);
    }
    if (dt == CKPT_DT_INVALID) { H5Tclose(ft); return dt; }
    if (cls == H5T_INTEGER || cls == H5T_FLOAT) {
        /* same type in little-endian order: libhdf5 swaps big-endian data */
        hid_t mt = H5Tcopy(ft);
        int is_le = H5Tget_order(ft) == H5T_ORDER_LE;
        H5Tset_order(mt, H5T_ORDER_LE);
        *memtype = mt;
        *direct_ok = is_le || sz == 1;
    } else {
        *memtype = H5Tcopy(ft);
        *direct_ok = 1;
    }
    H5Tclose(ft);
    return dt;
}

/* Select flat elements [start, start+count) of a C-order dataspace as a
 * union of at most 2*ndim hyperslabs: at each step take the biggest block
 * whose trailing dimensions are whole and aligned at `start`. */
static int select_flat(hid_t space, int ndim, const hsize_t *dims, uint64_t start, uint64_t count)
{
    int first = 1;
    while (count > 0) {
        /* stride[k] = elements in the last k dims */
        uint64_t stride = 1;
        int k = 0;
        while (k < ndim - 1) {
            uint64_t ns = stride * dims[ndim - 1 - k];
            if (start % ns != 0 || count < ns) break;
            stride = ns;
            k++;
        }
        int d = ndim - 1 - k;      /* the dimension we take a run along */
        hsize_t off[H5S_MAX_RANK], cnt[H5S_MAX_RANK];
        uint64_t rem = start / stride;
        for (int i = ndim - 1; i >= 0; i--) {
            if (i > d) { off[i] = 0; cnt[i] = dims[i]; continue; }
            off[i] = rem % dims[i];
            rem /= dims[i];
            cnt[i] = 1;
        }
        uint64_t room = dims[d] - off[d];
        uint64_t take = count / stride;
        if (take > room) take = room;
        if (take == 0) take = 1;   /* cannot happen: count >= stride */
        cnt[d] = take;
        if (H5Sselect_hyperslab(space, first ? H5S_SELECT_SET : H5S_SELECT_OR, off, NULL, cnt, NULL) < 0)
            return -1;
        first = 0;
        start += take * stride;
        count -= take * stride;
    }
    return 0;
}

int ckpt_h5_read_range(hid_t dset, hid_t memtype, int ndim, const int64_t *shape,
                       size_t esize, uint64_t off, void *buf, size_t n, ckpt_err *err)
{
    if (n == 0) return 0;
    uint64_t e0 = off / esize, e1 = (off + n + esize - 1) / esize;
    int aligned = (off % esize == 0) && (n % esize == 0);
    void *dst = buf;
    if (!aligned) {
        dst = malloc((size_t)(e1 - e0) * esize);
        if (!dst) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    }
    int rc = 0;
    hid_t fspace = -1, mspace = -1;
    if (ndim == 0) {
        if (H5Dread(dset, memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, dst) < 0)
            rc = ckpt_h5_fail(err, CKPT_E_FORMAT, NULL, NULL, "cannot read dataset");
    } else {
        hsize_t dims[H5S_MAX_RANK];
        for (int i = 0; i < ndim; i++) dims[i] = (hsize_t)shape[i];
        fspace = H5Dget_space(dset);
        hsize_t mdim = (hsize_t)(e1 - e0);
        mspace = H5Screate_simple(1, &mdim, NULL);
        if (fspace < 0 || mspace < 0 || select_flat(fspace, ndim, dims, e0, e1 - e0) < 0 ||
            H5Dread(dset, memtype, mspace, fspace, H5P_DEFAULT, dst) < 0)
            rc = ckpt_h5_fail(err, CKPT_E_FORMAT, NULL, NULL, "cannot read dataset");
    }
    if (fspace >= 0) H5Sclose(fspace);
    if (mspace >= 0) H5Sclose(mspace);
    if (rc == 0 && !aligned) memcpy(buf, (char *)dst + (off - e0 * esize), n);
    if (!aligned) free(dst);
    return rc;
}

uint64_t ckpt_h5_contig_offset(hid_t dset, uint64_t nbytes)
{
    hid_t dcpl = H5Dget_create_plist(dset);
    if (dcpl < 0) { H5Eclear2(H5E_DEFAULT); return CKPT_NO_OFFSET; }
    uint64_t r = CKPT_NO_OFFSET;
    if (H5Pget_layout(dcpl) == H5D_CONTIGUOUS && H5Pget_nfilters(dcpl) == 0 &&
        H5Dget_storage_size(dset) == nbytes) {
        haddr_t a = H5Dget_offset(dset);
        if (a != HADDR_UNDEF) r = (uint64_t)a;
    }
    H5Pclose(dcpl);
    H5Eclear2(H5E_DEFAULT);
    return r;
}

int ckpt_h5_set_attr_str(hid_t obj, const char *name, const char *val)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    hid_t s = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(obj, name, t, s, H5P_DEFAULT, H5P_DEFAULT);
    int rc = (a >= 0 && H5Awrite(a, t, &val) >= 0) ? 0 : -1;
    if (a >= 0) H5Aclose(a);
    H5Sclose(s);
    H5Tclose(t);
    return rc;
}

hid_t ckpt_h5_type_for(ckpt_dtype dt)
{
    hid_t t = -1;
    switch (dt) {
    case CKPT_F32: t = H5Tcopy(H5T_IEEE_F32LE); break;
    case CKPT_F64: t = H5Tcopy(H5T_IEEE_F64LE); break;
    case CKPT_F16:
        /* IEEE half as h5py writes numpy float16 */
        t = H5Tcopy(H5T_IEEE_F32LE);
        H5Tset_fields(t, 15, 10, 5, 0, 10);
        H5Tset_size(t, 2);
        H5Tset_ebias(t, 15);
        break;
    case CKPT_BF16:
    case CKPT_F8_E4M3:
    case CKPT_F8_E5M2:
        /* Keras 3: opaque bytes plus a dtype attribute on the dataset; the
         * empty tag is what h5py gives numpy void ("V2"), which Keras reads */
        t = H5Tcreate(H5T_OPAQUE, ckpt_dtype_size(dt));
        break;
    case CKPT_I8: t = H5Tcopy(H5T_STD_I8LE); break;
    case CKPT_U8: t = H5Tcopy(H5T_STD_U8LE); break;
    case CKPT_I16: t = H5Tcopy(H5T_STD_I16LE); break;
    case CKPT_U16: t = H5Tcopy(H5T_STD_U16LE); break;
    case CKPT_I32: t = H5Tcopy(H5T_STD_I32LE); break;
    case CKPT_U32: t = H5Tcopy(H5T_STD_U32LE); break;
    case CKPT_I64: t = H5Tcopy(H5T_STD_I64LE); break;
    case CKPT_U64: t = H5Tcopy(H5T_STD_U64LE); break;
    case CKPT_BOOL: {
        /* h5py's numpy bool: enum over int8 */
        t = H5Tenum_create(H5T_NATIVE_INT8);
        signed char f = 0, tr = 1;
        H5Tenum_insert(t, "FALSE", &f);
        H5Tenum_insert(t, "TRUE", &tr);
        break;
    }
    default: break;
    }
    return t;
}

int ckpt_h5_write_range(hid_t dset, hid_t memtype, int ndim, const int64_t *shape, size_t esize,
                        uint64_t off, const void *buf, size_t n, ckpt_err *err)
{
    if (n == 0) return 0;
    if (off % esize || n % esize)
        return ckpt_err_set(err, CKPT_E_USAGE, "write range not aligned to elements");
    int rc = 0;
    if (ndim == 0) {
        if (H5Dwrite(dset, memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
            rc = ckpt_h5_fail(err, CKPT_E_IO, NULL, NULL, "cannot write dataset");
        return rc;
    }
    hsize_t dims[H5S_MAX_RANK];
    for (int i = 0; i < ndim; i++) dims[i] = (hsize_t)shape[i];
    hid_t fspace = H5Dget_space(dset);
    hsize_t mdim = (hsize_t)(n / esize);
    hid_t mspace = H5Screate_simple(1, &mdim, NULL);
    if (fspace < 0 || mspace < 0 || select_flat(fspace, ndim, dims, off / esize, n / esize) < 0 ||
        H5Dwrite(dset, memtype, mspace, fspace, H5P_DEFAULT, buf) < 0)
        rc = ckpt_h5_fail(err, CKPT_E_IO, NULL, NULL, "cannot write dataset");
    if (fspace >= 0) H5Sclose(fspace);
    if (mspace >= 0) H5Sclose(mspace);
    return rc;
}

hid_t ckpt_h5_ocpl(hid_t cls)
{
    hid_t p = H5Pcreate(cls);
    if (p >= 0) H5Pset_obj_track_times(p, 0);
    return p;
}

static int allow_external;
void ckpt_set_allow_external_data(int allow) { allow_external = allow; }

static int outside(int *flag, const char *fname, const char *dpath, ckpt_err *err, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int outside(int *flag, const char *fname, const char *dpath, ckpt_err *err, const char *fmt, ...)
{
    *flag = 1;
    if (allow_external) return 0;
    char what[700];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    ckpt_err_set(err, CKPT_E_UNSAFE, "HDF5 dataset %s: refused (data outside the file; "
                 "ckpt --allow-external-data reads it)", what);
    ckpt_err_at_path(err, fname);
    ckpt_err_at_tensor(err, dpath);
    return CKPT_E_UNSAFE;
}

/* An external link among the path's components ("a", "a/b", "a/b/c"). */
static int check_links(hid_t file, const char *dpath, const char *fname, int *flag, ckpt_err *err)
{
    char *p = ckpt__strdup(dpath);
    if (!p) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    int rc = 0;
    for (char *q = p + (p[0] == '/'); !rc && q;) {
        char *slash = strchr(q, '/');
        if (slash) *slash = 0;
        H5L_info_t li;
        if (H5Lget_info(file, p, &li, H5P_DEFAULT) >= 0 && li.type == H5L_TYPE_EXTERNAL) {
            char val[1024] = "";
            const char *tf = "?", *to = "?";
            unsigned fl;
            if (li.u.val_size <= sizeof val && H5Lget_val(file, p, val, sizeof val, H5P_DEFAULT) >= 0)
                H5Lunpack_elink_val(val, li.u.val_size, &fl, &tf, &to);
            rc = outside(flag, fname, dpath, err, "behind an external link ('%s' points to %s:%s)", p, tf, to);
        }
        H5Eclear2(H5E_DEFAULT);
        if (slash) *slash = '/';
        q = slash ? slash + 1 : NULL;
    }
    free(p);
    return rc;
}

int ckpt_h5_check_outside(hid_t file, hid_t dset, const char *dpath, const char *fname, int *flag,
                          ckpt_err *err)
{
    int rc = check_links(file, dpath, fname, flag, err);
    if (rc || dset < 0) return rc;
    hid_t dcpl = H5Dget_create_plist(dset);
    if (dcpl < 0) { H5Eclear2(H5E_DEFAULT); return 0; }
    int next = H5Pget_external_count(dcpl);
    if (next > 0) {
        char name[512] = "";
        off_t off = 0;
        hsize_t size = 0;
        H5Pget_external(dcpl, 0, sizeof name, name, &off, &size);
        rc = outside(flag, fname, dpath, err, "stores its bytes in external file%s '%s'%s", next > 1 ? "s" : "", name,
                     next > 1 ? " and others" : "");
    } else if (H5Pget_layout(dcpl) == H5D_VIRTUAL) {
        size_t n = 0;
        char f[512] = "?", d[512] = "?";
        if (H5Pget_virtual_count(dcpl, &n) >= 0 && n > 0) {
            H5Pget_virtual_filename(dcpl, 0, f, sizeof f);
            H5Pget_virtual_dsetname(dcpl, 0, d, sizeof d);
        }
        rc = outside(flag, fname, dpath, err, "is a virtual dataset mapping %s:%s%s", f, d, n > 1 ? " and others" : "");
    }
    H5Pclose(dcpl);
    H5Eclear2(H5E_DEFAULT);
    return rc;
}
