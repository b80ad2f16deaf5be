/* src/formats/h5vfd.c: libhdf5 virtual file driver over ckpt_src (see
 * h5vfd.h). Written against the public H5FD_class_t of libhdf5 1.10 (Debian
 * 12): 1.12+ adds a version field and vector/selection callbacks, so the
 * initialiser below is guarded by the library version. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "formats/h5vfd.h"

typedef struct vfd_info {
    ckpt_src *src;
    uint64_t base, size;
} vfd_info;

typedef struct vfd_file {
    H5FD_t pub;          /* must come first: libhdf5 fills it */
    vfd_info in;
    haddr_t eoa;
} vfd_file;

static __thread ckpt_err t_err;
static __thread int t_have_err;

static void *info_copy(const void *p)
{
    vfd_info *d = malloc(sizeof *d);
    if (d) memcpy(d, p, sizeof *d);
    return d;
}

static herr_t info_free(void *p)
{
    free(p);
    return 0;
}

static void *fapl_get(H5FD_t *f) { return info_copy(&((vfd_file *)f)->in); }

static H5FD_t *vopen(const char *name, unsigned flags, hid_t fapl, haddr_t maxaddr)
{
    (void)name; (void)maxaddr;
    if (flags & (H5F_ACC_RDWR | H5F_ACC_TRUNC | H5F_ACC_CREAT)) return NULL;   /* read-only */
    const vfd_info *in = H5Pget_driver_info(fapl);
    if (!in || !in->src) return NULL;
    vfd_file *f = calloc(1, sizeof *f);
    if (!f) return NULL;
    f->in = *in;
    return &f->pub;
}

static herr_t vclose(H5FD_t *f)
{
    free(f);
    return 0;
}

static int vcmp(const H5FD_t *a, const H5FD_t *b)
{
    const vfd_file *x = (const vfd_file *)a, *y = (const vfd_file *)b;
    if (x->in.src != y->in.src) return x->in.src < y->in.src ? -1 : 1;
    if (x->in.base != y->in.base) return x->in.base < y->in.base ? -1 : 1;
    return 0;
}

static herr_t vquery(const H5FD_t *f, unsigned long *flags)
{
    (void)f;
    /* as sec2: libhdf5 may gather metadata and sieve small raw reads */
    *flags = H5FD_FEAT_AGGREGATE_METADATA | H5FD_FEAT_ACCUMULATE_METADATA | H5FD_FEAT_DATA_SIEVE |
             H5FD_FEAT_AGGREGATE_SMALLDATA;
    return 0;
}

static haddr_t vget_eoa(const H5FD_t *f, H5FD_mem_t t) { (void)t; return ((const vfd_file *)f)->eoa; }
static herr_t vset_eoa(H5FD_t *f, H5FD_mem_t t, haddr_t a) { (void)t; ((vfd_file *)f)->eoa = a; return 0; }
static haddr_t vget_eof(const H5FD_t *f, H5FD_mem_t t) { (void)t; return ((const vfd_file *)f)->in.size; }

static herr_t vhandle(H5FD_t *f, hid_t fapl, void **h)
{
    (void)fapl;
    *h = &((vfd_file *)f)->in.src;
    return 0;
}

static herr_t vread(H5FD_t *fp, H5FD_mem_t type, hid_t dxpl, haddr_t addr, size_t size, void *buf)
{
    (void)type; (void)dxpl;
    vfd_file *f = (vfd_file *)fp;
    if (addr == HADDR_UNDEF || addr > f->eoa || size > f->eoa - addr) {
        H5Epush2(H5E_DEFAULT, __FILE__, __func__, __LINE__, H5E_ERR_CLS, H5E_VFL, H5E_OVERFLOW,
                 "read of %zu bytes at address %llu past the end of allocation", size, (unsigned long long)addr);
        return -1;
    }
    /* past the end of the file reads as zeros, as libhdf5's sec2 driver */
    size_t n = addr >= f->in.size ? 0 : f->in.size - addr < size ? (size_t)(f->in.size - addr) : size;
    if (n < size) memset((char *)buf + n, 0, size - n);
    if (!n) return 0;
    ckpt_err e;
    ckpt_err_clear(&e);
    if (ckpt_src_pread(f->in.src, buf, n, f->in.base + addr, &e)) {
        t_err = e;
        t_have_err = 1;
        H5Epush2(H5E_DEFAULT, __FILE__, __func__, __LINE__, H5E_ERR_CLS, H5E_VFL, H5E_READERROR, "%s", e.msg);
        return -1;
    }
    return 0;
}

static herr_t vwrite(H5FD_t *f, H5FD_mem_t t, hid_t dxpl, haddr_t a, size_t n, const void *b)
{
    (void)f; (void)t; (void)dxpl; (void)a; (void)n; (void)b;
    H5Epush2(H5E_DEFAULT, __FILE__, __func__, __LINE__, H5E_ERR_CLS, H5E_VFL, H5E_WRITEERROR, "read-only driver");
    return -1;
}

static const H5FD_class_t vfd_class = {
#if H5_VERSION_GE(1, 13, 0)
#error "h5vfd.c is written for the libhdf5 1.10/1.12 H5FD_class_t (1.13+ adds version, value and vector callbacks)"
#endif
    .name = "ckpt_src",
    .maxaddr = (haddr_t)INT64_MAX,
    .fc_degree = H5F_CLOSE_WEAK,
    .fapl_size = sizeof(vfd_info),
    .fapl_get = fapl_get,
    .fapl_copy = info_copy,
    .fapl_free = info_free,
    .open = vopen,
    .close = vclose,
    .cmp = vcmp,
    .query = vquery,
    .get_eoa = vget_eoa,
    .set_eoa = vset_eoa,
    .get_eof = vget_eof,
    .get_handle = vhandle,
    .read = vread,
    .write = vwrite,
    .fl_map = H5FD_FLMAP_DICHOTOMY,
};

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static hid_t g_driver = -1;

static void reg(void) { g_driver = H5FDregister(&vfd_class); }

hid_t ckpt__h5vfd_fapl(ckpt_src *src, uint64_t base, uint64_t size, ckpt_err *err)
{
    t_have_err = 0;
    pthread_once(&g_once, reg);
    uint64_t end;
    if (!src || ckpt__add_u64(base, size, &end) || end > src->size) {
        ckpt_err_set(err, CKPT_E_FORMAT, "HDF5 data (%llu bytes at %llu) runs past the end of the file",
                     (unsigned long long)size, (unsigned long long)base);
        if (src) ckpt_err_at_path(err, src->path);
        return -1;
    }
    hid_t fapl = g_driver < 0 ? -1 : H5Pcreate(H5P_FILE_ACCESS);
    vfd_info in = {src, base, size};
    if (fapl < 0 || H5Pset_driver(fapl, g_driver, &in) < 0) {
        if (fapl >= 0) H5Pclose(fapl);
        H5Eclear2(H5E_DEFAULT);
        ckpt_err_set(err, CKPT_E_IO, "libhdf5 refused ckpt's file driver");
        return -1;
    }
    return fapl;
}

int ckpt__h5vfd_take_error(ckpt_err *err)
{
    if (!t_have_err) return 0;
    t_have_err = 0;
    if (err) *err = t_err;
    return t_err.code;
}
