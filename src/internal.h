/* src/internal.h: what the engine's modules share and ui/ never sees.
 *
 * Sections: byte sources, the model's insides (for format readers), the
 * format vtable, the conversion plan and the writer, output transactions,
 * small utilities.
 */
#ifndef CKPT_INTERNAL_H
#define CKPT_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "ckpt/check.h"
#include "ckpt/convert.h"
#include "ckpt/dtype.h"
#include "ckpt/err.h"
#include "ckpt/model.h"

/* A malformed input: CKPT_E_FORMAT with the message, and the path, tensor
 * and byte offset where given (NULL, NULL, CKPT_NO_OFFSET when not). */
int ckpt__fail(ckpt_err *err, const char *path, const char *tensor, uint64_t off, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Public entry points accept err == NULL (include/ckpt/err.h): the first
 * line of each points err at a local, so nothing below tests it for NULL. */
#define CKPT__ERR_LOCAL(err)                                     \
    ckpt_err err##_local_;                                       \
    if (!(err)) { ckpt_err_clear(&err##_local_); (err) = &err##_local_; }

/* ====================================================================== */
/* Byte sources: a local file or a remote object read by ranges.           */
/* ====================================================================== */

typedef struct ckpt_src ckpt_src;
struct ckpt_src_ops {
    /* Read exactly n bytes at off, or fail (short read past EOF is an error). */
    int (*pread)(ckpt_src *s, void *buf, size_t n, uint64_t off, ckpt_err *err);
    void (*close)(ckpt_src *s);
};
struct ckpt_src {
    const struct ckpt_src_ops *ops;
    char *path;          /* local path or URL; owned */
    uint64_t size;
    int fd;              /* local files: the descriptor, else -1 */
    int is_dir;
    void *priv;
};

/* Open a local file (or a remote one through the hook below). */
int ckpt_src_open(const char *path, ckpt_src **out, ckpt_err *err);
/* ckpt_src_open, refusing a directory ("is a directory", CKPT_E_FORMAT). */
int ckpt__src_open_file(const char *path, ckpt_src **out, ckpt_err *err);
/* 0 when [off, off+n) lies inside s, else a "truncated" error at off. */
int ckpt__src_check_range(const ckpt_src *s, size_t n, uint64_t off, ckpt_err *err);
int ckpt_src_pread(ckpt_src *s, void *buf, size_t n, uint64_t off, ckpt_err *err);
void ckpt_src_close(ckpt_src *s);
/* A read-ahead window for parsers that read small fields in file order
 * (GGUF headers): buf holds up to cap bytes of s from start. */
typedef struct ckpt_srcwin {
    ckpt_src *s;
    unsigned char *buf;
    size_t cap, len;
    uint64_t start;
} ckpt_srcwin;
/* Copy n bytes at pos, refilling the window as needed; the caller has
 * checked that [pos, pos + n) lies inside the source. */
int ckpt__srcwin_get(ckpt_srcwin *w, uint64_t pos, void *dst, size_t n, ckpt_err *err);
/* Read a whole small file (config JSON, index) into a NUL-terminated buffer;
 * fails with CKPT_E_FORMAT if larger than `max`. Caller frees. */
int ckpt_src_slurp(const char *path, size_t max, char **out, size_t *len, ckpt_err *err);

/* The hub module (when built in) installs these so local-looking code can
 * open "hf://" paths: open a remote object, and tell whether a path is remote. */
typedef int (*ckpt_remote_open_fn)(const char *url, ckpt_src **out, ckpt_err *err);
extern ckpt_remote_open_fn ckpt_remote_open_hook;
int ckpt_path_is_remote(const char *path);
/* The hub module (src/src_http.c, src/hub.c): the remote open installed in
 * the hook, and ckpt_open's resolution of a Hub URL (hf://org/name, a
 * folder or a file) to what a reader opens: a commit-pinned hf:// file URL
 * read by HTTP ranges (safetensors), or a local path in the shared cache. */
int ckpt__hub_src_open(const char *url, ckpt_src **out, ckpt_err *err);
int ckpt__hub_resolve(const char *url, char **out, ckpt_err *err);
/* Is there a file at this remote URL (the listing says; nothing fetched)?
 * ckpt__file_exists asks it for remote paths. */
int ckpt__hub_exists(const char *url);
/* The whole local copy in the cache of a commit-pinned hf:// file URL
 * (malloc'd), or NULL: the sandboxed open probes that file. */
char *ckpt__hub_local_copy(const char *url);
extern int (*ckpt_remote_exists_hook)(const char *url);
/* A note about how path's remote files were read (a server that ignored
 * Range requests for a file of its repo) into buf: 1, or 0 when none;
 * ckpt_open adds it to the model's facts. */
int ckpt__remote_note(const char *path, char *buf, size_t n);
/* 1 when some format reads a file of this name in place by HTTP ranges
 * (its .remote_ranges); other remote files are fetched whole first. */
int ckpt__format_remote_ranges(const char *path);
/* Rank of a file name as a repo's model file (the formats' .hub_files), 0 = none. */
int ckpt__format_hub_rank(const char *base);
/* 1 when `base` is a companion (.companions) of model file `model_base`
 * for the format that ranks model_base highest. */
int ckpt__format_is_companion(const char *model_base, const char *base);

/* ====================================================================== */
/* The model's insides.                                                    */
/* ====================================================================== */

typedef struct ckpt_format ckpt_format;

typedef struct ckpt_file {
    char *path;
    uint64_t size;
    ckpt_src *src;       /* opened lazily by the format, may be NULL */
} ckpt_file;

/* per-tensor private data for the format (one word: it is paid per tensor) */
typedef struct ckpt_tensor_priv {
    uint64_t u;          /* free for the format (dataset id, storage key, ...) */
} ckpt_tensor_priv;

struct ckpt_name_index;
struct ckpt_fold;
typedef struct ckpt_tslot ckpt_tslot;

/* Big growing buffers (bigbuf.c): huge-page mappings from 2 MiB up,
 * malloc below; free them only with ckpt__big_free. */
void *ckpt__big_alloc(size_t n);
void *ckpt__big_calloc(size_t n, size_t sz);
void *ckpt__big_realloc(void *p, size_t n);   /* NULL: p unchanged */
void ckpt__big_free(void *p);
void ckpt__big_trim(void *p, size_t n);       /* pages past n back, p unmoved */
int ckpt__src_slurp_big(const char *path, size_t max, char **out, size_t *len, ckpt_err *err);

/* A string pool (pool.c): strings freed all at once with the pool. */
typedef struct ckpt_pool ckpt_pool;
ckpt_pool *ckpt__pool_new(void);
void ckpt__pool_free(ckpt_pool *p);
void *ckpt__pool_alloc(ckpt_pool *p, size_t n);           /* 8-aligned, NULL on NOMEM */
char *ckpt__pool_strndup(ckpt_pool *p, const char *s, size_t n);
char *ckpt__pool_strdup(ckpt_pool *p, const char *s);
int ckpt__pool_reserve(ckpt_pool *p, size_t n);               /* a hint: -1 on NOMEM */
/* The pool frees buf (from ckpt__big_alloc: a header whose names the
 * tensors point into) with itself: 0, or -1 (NOMEM: buf stays the caller's). */
int ckpt__pool_adopt(ckpt_pool *p, void *buf);

struct ckpt_model {
    const ckpt_format *fmt;
    char *path;
    char sep;                    /* separator for node paths: '/' or '.' */
    ckpt_file *files; int nfiles, capfiles;
    ckpt_tensor *tensors; int ntensors, captensors;
    ckpt_tensor_priv *tpriv;     /* parallel to tensors */
    ckpt_node *nodes; int nnodes, capnodes;
    int *node_last; int caplast;         /* last child of each node, for appends */
    char **meta_k, **meta_v; int nmeta, capmeta;
    char **fact_k, **fact_v; int nfacts, capfacts;
    char *config_json;
    char *hf_config_json;
    struct ckpt_tslot { uint32_t h; int32_t v; } *tix;  /* tensor name -> index (model.c) */
    size_t tixcap, tixn;
    struct ckpt_name_index *node_index;  /* node path -> index */
    void *priv;                  /* format state, freed by fmt->close */
    ckpt_pool *pool;             /* tensor names and node names/paths (never free() them) */
    int dup_of;                  /* ckpt__model_add_tensor: earlier tensor of that name, or -1 */
    uint64_t tot_params, tot_bytes;      /* totals at open, valid while tot_n == ntensors + 1 */
    int tot_n;
    int tree_built;              /* format built its own tree */
    int tree_lazy;               /* default tree not built yet: ckpt_model_node(s) builds it */
    int groups_unindexed;        /* tree from names built without the path index (tree.c) */
    struct ckpt_fold *fold;      /* the default tree built as shown (tree_lazy.c), or NULL */
};

/* Room for n tensors (and their name index) at once, when a header says
 * how many: no regrowth while adding them. 0, or NOMEM in err. */
int ckpt__model_reserve(ckpt_model *m, int n, ckpt_err *err);
void ckpt__model_prefetch(const ckpt_model *m, const char *name);   /* a hint, a few names ahead */
/* ckpt__model_add_tensor with name and src_name the model already owns
 * (in its pool, or in a buffer the pool adopted): nothing copied. */
int ckpt__model_add_tensor_kept(ckpt_model *m, const char *name, const char *src_name,
                                ckpt_dtype dt, int ndim, const int64_t *shape,
                                int file, uint64_t offset, ckpt_err *err);
/* Add a file; returns its index or -1 (NOMEM in err). */
int ckpt__model_add_file(ckpt_model *m, const char *path, uint64_t size, ckpt_err *err);
/* Add a tensor (name and src_name copied; src_name may be NULL). Computes
 * nelems and nbytes from dtype and shape with overflow checks; returns its
 * index or -1 with err set. Duplicate names are allowed here (the check
 * reports them); ckpt_model_find returns the first. */
int ckpt__model_add_tensor(ckpt_model *m, const char *name, const char *src_name,
                           ckpt_dtype dt, int ndim, const int64_t *shape,
                           int file, uint64_t offset, ckpt_err *err);
int ckpt__model_add_meta(ckpt_model *m, const char *k, const char *v, ckpt_err *err);
/* Add or replace a derived fact (shown by `info`). */
int ckpt__model_set_fact(ckpt_model *m, const char *k, const char *v, ckpt_err *err);
int ckpt__model_set_config(ckpt_model *m, const char *json, ckpt_err *err);
int ckpt__model_set_hf_config(ckpt_model *m, const char *json, ckpt_err *err);

/* Facts from a Hugging Face config.json beside the weights (arch.c), run
 * by ckpt_open after the format's open. */
int ckpt__arch_after_open(ckpt_model *m, ckpt_err *err);

/* Tree building by formats that know the architecture: add a node under
 * `parent` (0 = root), returns its index or -1. `kind`/`alt` may be NULL. */
int ckpt__node_add(ckpt_model *m, int parent, const char *name, const char *kind,
                   const char *alt, unsigned flags, ckpt_err *err);
/* Find a child by name, or -1. Linear in the number of children. */
int ckpt__node_child(const ckpt_model *m, int parent, const char *name);
/* Attach tensor t as a leaf named `leaf` under `parent`. */
int ckpt__node_attach(ckpt_model *m, int parent, const char *leaf, int t, ckpt_err *err);
/* Default tree: split names on '/' (or '.' when no name has '/'), numeric
 * parts sorted naturally. Called by ckpt_open when the format built none. */
int ckpt__tree_from_names(ckpt_model *m, ckpt_err *err);
/* Totals (ntensors/nparams/nbytes) and node paths; ckpt_open calls it. */
int ckpt__tree_finish(ckpt_model *m, ckpt_err *err);
/* For the tree built as shown (tree_lazy.c): a node whose path the model
 * keeps (a pool string, or a tensor's name for its leaf), its name the
 * tail of it, outside the path index; room for n nodes; p's children in
 * natural order (kids: scratch; twins as in the build from names); the
 * separator from the names; the root. */
int ckpt__node_add_path(ckpt_model *m, int parent, const char *name, const char *path, ckpt_err *err);
int ckpt__tree_reserve(ckpt_model *m, int n, ckpt_err *err);
int ckpt__tree_sort_kids(ckpt_model *m, int p, int **kids, size_t *kcap, int twins, ckpt_err *err);
void ckpt__tree_pick_sep(ckpt_model *m);
int ckpt__tree_root(ckpt_model *m, ckpt_err *err);
/* The tree built as shown: started by ckpt_model_tree; freed by ckpt_close. */
int ckpt__fold_start(ckpt_model *m, ckpt_err *err);
void ckpt__fold_free(struct ckpt_fold *f);

/* ====================================================================== */
/* The format vtable. One const struct per format file (fmt_*.c) and one   */
/* line in the registry (format.c).                                        */
/*                                                                         */
/* Reading: probe() scores a candidate path (0 = not mine, 100 = sure);    */
/* open() fills the model (files, tensors, meta, config, and optionally    */
/* the tree); read() copies a byte range of one tensor in canonical layout */
/* (it may be called from any tensor in any order); close() frees m->priv  */
/* and tensor privs. Strings passed to the model are copied.               */
/*                                                                         */
/* Writing: write_begin() sees the whole plan and creates its output files */
/* through w->txn; write() is then called with the plan's tensors in       */
/* order, each tensor's chunks in order (off ascending, no gaps);          */
/* write_end() completes the files; the engine commits the txn (renames)   */
/* only after write_end() succeeded. write_abort() frees state after any   */
/* failure; the engine removes the temporary files.                        */
/* ====================================================================== */

typedef struct ckpt_writer ckpt_writer;
typedef struct ckpt_plan ckpt_plan;
typedef struct ckpt_magic { const char *bytes; size_t len; } ckpt_magic;
#define CKPT_MAGIC(lit) {lit, sizeof(lit) - 1}

struct ckpt_format {
    const char *name;            /* "safetensors" */
    const char *desc;            /* "safetensors (single file or sharded)" */
    const char *exts;            /* space-separated, for the browser: ".safetensors .safetensors.index.json" */
    unsigned flags;              /* CKPT_FMT_READ | CKPT_FMT_WRITE */
    int (*probe)(const char *path, int is_dir, const unsigned char *head, size_t n);
    /* Optional: signatures its files start with, ending with {NULL, 0}. A
     * file too short to be whole (< 8 bytes) that begins like one of them
     * is reported as cut short instead of unrecognised. */
    const struct ckpt_magic *magics;
    /* Optional: for a file no format opens, a one-line hint into buf when
     * it is part of a model of this format that is opened through another
     * file (a TF.js shard: "open model.json"); NULL when it is not. */
    const char *(*part_of)(const char *path, const unsigned char *head, size_t n, char *buf, size_t bn);
    int (*open)(ckpt_model *m, const char *path, ckpt_err *err);
    int (*read)(ckpt_model *m, int t, uint64_t off, void *buf, size_t n, ckpt_err *err);
    void (*close)(ckpt_model *m);
    /* Format-specific findings for `ckpt check` (Keras: config vs weights). */
    int (*check)(ckpt_model *m, ckpt_findings *out, ckpt_err *err);
    /* NULL = can always write. Else 0 with a one-line reason. */
    int (*can_write)(const ckpt_model *m, char *why, size_t n);
    int (*write_begin)(ckpt_writer *w, ckpt_err *err);
    int (*write)(ckpt_writer *w, int i, uint64_t off, const void *buf, size_t n, ckpt_err *err);
    int (*write_end)(ckpt_writer *w, ckpt_err *err);
    void (*write_abort)(ckpt_writer *w);
    /* Optional: the output name of tensor t under a
     * format-specific naming scheme (convert --naming; Keras: "keras",
     * "index"), before renames and remap rules. Returns a malloc'd name, or
     * NULL with err set (an unknown scheme is CKPT_E_USAGE). */
    char *(*name_as)(ckpt_model *m, int t, const char *naming, ckpt_err *err);
    /* The schemes name_as accepts, space-separated, default first ("keras index"). */
    const char *namings;
    /* Writer options this format takes, space-separated ("quantize shard-size"):
     * `--NAME VALUE` on the command line reaches the writer as "NAME=VALUE" in
     * opts->kv (read it with ckpt__opt). A trailing '!' marks a flag without a
     * value ("compress!" gives "compress=1"). The CLI and the TUI learn a
     * format's options here, so a new writer edits no file of theirs. */
    const char *opts;
    /* Optional: rewrite the plan after renames and --map, before names are
     * checked and any byte is written. Exporters that own a naming apply
     * their rules and check every expected tensor (kerashub); GGUF gives a
     * Hugging Face Llama the hf-llama-gguf names and picks the dtype
     * streamed for --quantize. An error here leaves no output. */
    int (*prepare)(ckpt_model *m, const ckpt_convert_opts *o, ckpt_plan *p, ckpt_err *err);
    /* 1: an input without any tensor still makes a useful output (GGUF: a
     * vocabulary-only file); else converting it is "nothing to write". */
    int empty_ok;
    /* Optional, reading: 1 when tensor t's canonical bytes are exactly the
     * nbytes at *off of the local file open as *fd (contiguous, unfiltered,
     * little-endian: the converter then copies them file to file). */
    int (*raw_span)(ckpt_model *m, int t, int *fd, uint64_t *off);
    /* Optional, writing: like write(), the bytes taken from `fd` at
     * `src_off` (ckpt__copy_fd). The engine uses it for plain copies of
     * tensors whose reader has a raw_span. */
    int (*write_copy)(ckpt_writer *w, int i, uint64_t off, int fd, uint64_t src_off, size_t n,
                      ckpt_err *err);
    /* Optional, reading: a check of the source's integrity (a .keras
     * member's CRC) done as the converter streams instead of up front.
     * stream_begin: every tensor is about to be read (or copied) once, in
     * plan order; raw_seen is then handed the bytes of each raw_span copy
     * that passes through memory; stream_end(finish=1) completes the check
     * (reading what the stream skipped) before anything is committed: 0 when
     * the source is intact, else the error; finish=0 leaves the stream after
     * a failed or cancelled conversion. */
    void (*stream_begin)(ckpt_model *m);
    void (*raw_seen)(ckpt_model *m, int fd, uint64_t off, const void *buf, size_t n);
    int (*stream_end)(ckpt_model *m, int finish, ckpt_err *err);
    /* The Hub (src/hub/ knows no format by name: it asks these).
     * hub_files: "PATTERN=RANK ..." the file names that are this format's
     *   model file in a repo, PATTERN a shell pattern on the base name; the
     *   highest rank of any format picks a repo's model file.
     * remote_ranges: patterns of files this reader reads in place by HTTP
     *   ranges (header and metadata only for ls/info, data when asked);
     *   other remote files are fetched whole into the cache first.
     * companions: patterns of files in the model file's folder that belong
     *   with it (kept with it by convert --cache). */
    const char *hub_files, *remote_ranges, *companions;
    /* Optional, writing one file: its name when -o names a folder (an
     * existing one, or a path ending in '/'): "model.gguf". Writers that
     * lay out a folder themselves (safetensors shards, TF.js) leave it NULL. */
    const char *dir_file;
    /* Optional, CKPT_FMT_SANDBOX readers: run in the sandbox child after
     * open, the library code over the file's data that the in-process
     * reads will run (Keras: each chunked dataset's chunk index walk). NULL:
     * ckpt__sandbox_peek of every tensor without a file offset. */
    int (*fence)(ckpt_model *m, ckpt_err *err);
};

const ckpt_format *ckpt__format_find(const char *name);
/* "safetensors, torch, npz": the formats m can be written to whose name
 * does not start with skip_prefix (for a can_write reason). */
void ckpt__writers_for(const ckpt_model *m, const char *skip_prefix, char *buf, size_t n);
/* 1 when f declares option `name` in .opts (2 when as a flag), else 0. */
int ckpt__format_has_opt(const ckpt_format *f, const char *name);
/* The sandboxed first open (sandbox.c): 1 when f is CKPT_FMT_SANDBOX and the
 * sandbox is not switched off (CKPT_SANDBOX=off, or ckpt__sandbox_off set,
 * as the raw fuzz target and the sandbox child itself do). */
extern int ckpt__sandbox_off;
int ckpt__sandbox_wanted(const ckpt_format *f);
/* Open `path` with f in a confined child; 0 when it opened cleanly there,
 * else the child's error or "libhdf5 crashed/hung reading PATH ...". */
int ckpt__sandbox_probe(const ckpt_format *f, const char *path, ckpt_err *err);
/* In the child: read a little at each end of tensor i (its decode path). */
int ckpt__sandbox_peek(ckpt_model *m, int i, ckpt_err *err);
/* Open `path` with a given format (ckpt_open picks it by probing). */
int ckpt__open_with(const ckpt_format *f, const char *path, ckpt_model **out, ckpt_err *err);

/* ====================================================================== */
/* The plan: what a conversion writes, in write order.                     */
/* ====================================================================== */

struct ckpt_xform;  /* a tensor transform (remap.c): transpose, reshape, split, ... */

typedef struct ckpt_plan_entry {
    char *name;                  /* output name */
    ckpt_dtype dtype;            /* output dtype */
    int ndim;
    int64_t shape[CKPT_MAX_DIMS];
    uint64_t nbytes;
    int src;                     /* source tensor index */
    struct ckpt_xform *xf;       /* NULL = plain copy (with cast if dtypes differ) */
} ckpt_plan_entry;

struct ckpt_plan {
    ckpt_plan_entry *e;
    int n, cap;
};

int ckpt__plan_add(ckpt_plan *p, const char *name, ckpt_dtype dt, int ndim,
                   const int64_t *shape, int src, ckpt_err *err);
void ckpt__plan_free(ckpt_plan *p);

/* The plan ckpt_convert writes for `o` (renames, remap, naming, the
 * format's prepare hook; names checked): convert.c, reused by verify.c. */
int ckpt__convert_plan(ckpt_model *m, const ckpt_convert_opts *o, ckpt_plan *p, ckpt_err *err);

/* Produce `n` bytes at `off` of a plan entry's output bytes (reads and
 * casts the source; applies the transform). Used by the converter and diff. */
int ckpt__plan_read(ckpt_model *m, const ckpt_plan_entry *e, uint64_t off, void *buf,
                    size_t n, ckpt_err *err);

/* ====================================================================== */
/* Output transactions: temporary names, renamed into place when whole.    */
/* ====================================================================== */

typedef struct ckpt_txn ckpt_txn;

/* Files are created in the final path's folder as O_TMPFILEs (no name until
 * commit: a killed run leaves nothing), or where the filesystem lacks them
 * as "DIR/.NAME.ckpt-PID-XXXXXX" (removed by a later run once PID is gone).
 * A directory that does not exist yet is created (and removed on abort). */
ckpt_txn *ckpt_txn_new(void);
/* Create the temporary file for `final_path`; returns an fd open for
 * writing, or -1 with err set. The txn owns the fd. */
int ckpt_txn_create(ckpt_txn *t, const char *final_path, ckpt_err *err);
/* A directory (and its missing parents) that abort removes again, for
 * outputs with an empty folder (a SavedModel's variables/). */
int ckpt_txn_mkdir(ckpt_txn *t, const char *dir, ckpt_err *err);
/* Temporary path of an fd returned by ckpt_txn_create (for libraries that
 * want a path, such as libhdf5: close the fd first with ckpt_txn_close_fd
 * and let them write to the path; "/proc/self/fd/N" for an O_TMPFILE, which
 * the txn keeps open). libzip renames its output: use ckpt__zip_open_fd. */
const char *ckpt_txn_tmp_path(ckpt_txn *t, int fd);
void ckpt_txn_close_fd(ckpt_txn *t, int fd);
/* libhdf5 cannot open /proc/self/fd/N (it wants the real path): a
 * pid-tagged name for the file (that the next run removes once this
 * process is gone). Commit renames it into place; ckpt_txn_unname drops it
 * (for a scratch file that is never committed: once named, an O_TMPFILE
 * cannot be linked again). NULL with errno set. */
const char *ckpt_txn_name_brief(ckpt_txn *t, int fd);
void ckpt_txn_unname(ckpt_txn *t, int fd);
/* fsync every file (commit does it if not done yet; ckpt_convert calls it
 * first so a cancel during the fsync still commits nothing). */
int ckpt_txn_sync(ckpt_txn *t, ckpt_err *err);
/* 0: no fsync at all, of files or folders (convert --fsync never: the
 * output is renamed into place from the page cache). Default 1. */
void ckpt_txn_set_fsync(ckpt_txn *t, int on);
/* Put every file in place (in creation order). If a step fails, outputs
 * already replaced are restored: the folder holds the complete old output
 * or the complete new one. */
int ckpt_txn_commit(ckpt_txn *t, ckpt_err *err);
/* Remove all temporary files (and created directories). Idempotent. */
void ckpt_txn_abort(ckpt_txn *t);
void ckpt_txn_free(ckpt_txn *t);   /* aborts if not committed */
/* The files of a txn in creation order, final and temporary paths (for
 * writers that wrap another, such as --package zip). */
int ckpt_txn_nfiles(const ckpt_txn *t);
const char *ckpt_txn_file_final(const ckpt_txn *t, int i);
const char *ckpt_txn_file_tmp(const ckpt_txn *t, int i);
/* Stale temporaries of killed runs removed from the output folders. */
int ckpt_txn_stale_removed(const ckpt_txn *t);
/* A small file (a Hub ref, a listing) written whole or not at all, by
 * the same transaction as conversion outputs: a nameless file in the
 * folder (missing folders created), fsync, linked at a fresh name, renamed. */
int ckpt__write_file_atomic(const char *path, const void *data, size_t n, ckpt_err *err);
/* Start the writeback of fd's bytes [*flushed, pos) once 16 MiB are
 * pending, when t fsyncs at the end (the disk then works while we copy,
 * measured faster than one fsync of it all: docs/design.md); nothing under
 * --fsync never, which leaves the page cache alone. pos UINT64_MAX: the
 * rest of the file, now (a finished shard). */
void ckpt__txn_writeback(const ckpt_txn *t, int fd, uint64_t *flushed, uint64_t pos);
/* Signal-safe: remove pending temporaries of every live txn (for SIGINT). */
void ckpt_txn_abort_all_signal_safe(void);

/* ====================================================================== */
/* The writer state handed to a format.                                    */
/* ====================================================================== */

struct ckpt_writer {
    const ckpt_format *fmt;
    const ckpt_convert_opts *opts;
    ckpt_model *src;             /* the model being converted (config, meta) */
    const ckpt_plan *plan;
    ckpt_txn *txn;
    ckpt_convert_result *res;    /* writer sets nfiles and main_path */
    void *priv;
    int kernel_copy;             /* for write_copy: CKPT__COPY_* (copy.c) */
};

/* Value of "key=value" in opts->kv, or NULL. */
const char *ckpt__opt(const ckpt_convert_opts *o, const char *key);

/* ====================================================================== */
/* Utilities.                                                              */
/* ====================================================================== */

int ckpt__pread_full(int fd, void *buf, size_t n, uint64_t off);  /* 0 ok, -1 errno */
/* Copy n bytes at in_off of `in` to the file position of `out` (copy.c).
 * *kernel: CKPT__COPY_OFF (the converter does not copy file to file:
 * CKPT_COPY_FILE_RANGE=0), CKPT__COPY_RW (read/write), CKPT__COPY_AUTO (copy_file_range
 * only where it shares extents: a reflinking filesystem, both files on it,
 * offsets congruent to its block size; read/write elsewhere, measured
 * faster), CKPT__COPY_KERNEL (copy_file_range always). A kernel that cannot
 * (EXDEV, ENOSYS, EINVAL ...) sets *kernel to RW for the rest of the run.
 * Bytes copied through memory are shown to seen's raw_seen hook (when seen
 * is not NULL). 0 ok, -1 errno (0: `in` ended early). */
enum { CKPT__COPY_OFF = 0, CKPT__COPY_RW, CKPT__COPY_AUTO, CKPT__COPY_KERNEL };
int ckpt__copy_fd(int in, uint64_t in_off, int out, size_t n, int *kernel, ckpt_model *seen);
int ckpt__write_full(int fd, const void *buf, size_t n);          /* 0 ok, -1 errno */
int ckpt__mul_u64(uint64_t a, uint64_t b, uint64_t *out);         /* 0 ok, -1 overflow */
int ckpt__add_u64(uint64_t a, uint64_t b, uint64_t *out);
int ckpt__utf8_valid(const char *s, size_t n);
/* s with every byte that is not part of valid UTF-8 written as the text
 * "\xNN" (malloc'd; NULL when out of memory); *changed says if any was. */
char *ckpt__utf8_escape(const char *s, int *changed);
char *ckpt__strdup(const char *s);                                /* NULL-safe */
char *ckpt__strndup(const char *s, size_t n);
char *ckpt__asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *ckpt__path_join(const char *dir, const char *name);        /* malloc'd */
char *ckpt__path_dirname(const char *path);                      /* malloc'd, "." if none */
const char *ckpt__path_basename(const char *path);
int ckpt__ends_with(const char *s, const char *suffix);
/* 1 when JSON text stops with an object, array or string still open (or
 * holds none): a file cut short, to say so instead of "not valid JSON". */
int ckpt__json_cut_short(const char *s, size_t n);
/* A JSON number that is an exact non-negative integer (<= 2^53, beyond
 * which doubles are no longer exact: no real file gets near): 0, else -1. */
struct cJSON;
int ckpt__json_u64(const struct cJSON *v, uint64_t *out);
/* 1 when JSON nests deeper than CKPT_JSON_MAX_DEPTH, cJSON's own limit. */
#define CKPT_JSON_MAX_DEPTH 1000
int ckpt__json_too_deep(const char *s, size_t n);
int ckpt__is_dir(const char *path);
/* mkdir -p; each folder it creates is appended (malloc'd) to *made when
 * made is not NULL, so a caller can remove them again. */
int ckpt__mkdirs(const char *dir, char ***made, int *nmade, ckpt_err *err);
/* A relative path from a file nobody vouches for (a shard an index or a
 * manifest names, a zip member, a Hub listing's path) that stays inside
 * its folder: NULL, else why not ("'..' in path"). Always refused: empty,
 * absolute, backslash, control bytes, a ".." part. Flags add: NO_DOT, "."
 * and empty parts (so "a//b" and a trailing '/'); NO_DRIVE, "C:" and URLs. */
#define CKPT_PATH_NO_DOT   0x1u
#define CKPT_PATH_NO_DRIVE 0x2u
const char *ckpt__path_problem(const char *p, unsigned flags);
/* A shard a model names (`shown` as written) must resolve, symlinks
 * followed, inside the model's folder `dir` (for a Hugging Face cache
 * snapshot, inside its repo folder, whose blobs/ it links to): else
 * CKPT_E_UNSAFE. Remote and missing paths pass (the open decides). */
int ckpt__path_check_inside(const char *dir, const char *path, const char *shown, ckpt_err *err);
/* The time outputs record (zip members, Keras' date_saved): SOURCE_DATE_EPOCH
 * when set, else 1980-01-01 UTC, never the clock, so the same input and
 * options give the same bytes. */
time_t ckpt__output_time(void);
/* ckpt__output_time as Keras writes date_saved ("2023-11-14@22:13:20"). */
void ckpt__output_date(char *buf, size_t n);
int ckpt__file_exists(const char *path);
/* Up to n-1 bytes of a small local file, NUL-terminated (malloc'd), or NULL. */
char *ckpt__read_head(const char *path, size_t n);
/* Natural compare ("layers.2" < "layers.10"). */
int ckpt__natcmp(const char *a, const char *b);

/* A growing NUL-terminated string: p (NULL until the first append), n
 * bytes. An allocation failure sets oom and later appends do nothing, so
 * a caller checks once at the end. */
typedef struct ckpt_sbuf { char *p; size_t n, cap; int oom; } ckpt_sbuf;
void ckpt__sb_add(ckpt_sbuf *b, const char *s, size_t n);
void ckpt__sb_puts(ckpt_sbuf *b, const char *s);
void ckpt__sb_printf(ckpt_sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Name -> index hash (open addressing). Keys are borrowed, not copied:
 * the caller keeps each name alive (and unchanged) as long as the index. */
struct ckpt_name_index *ckpt__index_new(void);
void ckpt__index_free(struct ckpt_name_index *ix);
/* Insert if absent; returns the existing index when present, else -1 (inserted) or -2 (NOMEM). */
int ckpt__index_put(struct ckpt_name_index *ix, const char *name, int value);
int ckpt__index_get(const struct ckpt_name_index *ix, const char *name);
/* The index's hash of a name (mixed FNV-1a), 32 bits. */
uint32_t ckpt__name_hash(const char *s);
/* Room for n keys without regrowth: 0, or -1 (NOMEM). */
int ckpt__index_reserve(struct ckpt_name_index *ix, size_t n);

#endif
