/* src/keras_zip.h: checked access to the members of a `.keras` zip. */
#ifndef CKPT_KERAS_ZIP_H
#define CKPT_KERAS_ZIP_H

#include <zip.h>

#include "internal.h"

#define KZ_MAX_MEMBERS 100000
#define KZ_EXPANSION_FLOOR (64u << 20)   /* members below this are never "bombs" */
#define KZ_MAX_EXPANSION 100             /* size / compressed size above this is refused */
#define KZ_MAX_JSON (64u << 20)

typedef struct kz_members {
    zip_int64_t config, metadata, weights, weights_json;  /* -1 = absent */
    zip_uint64_t weights_size;
    int nassets;
} kz_members;

/* zip_open() failed with `ze`: set err (one line, path attached). `what`
 * names the container ("a .keras zip", "a zip"). A file that starts like a
 * zip but whose central directory (at its end) is missing was cut short. */
int kz_open_fail(const char *path, int ze, const char *what, ckpt_err *err);

/* Why zip_fopen_index() just failed, in words: a member flagged encrypted
 * or with an unknown method is usually a damaged directory entry. */
const char *kz_fopen_why(zip_t *z);

/* 1 when a member name stays inside the archive. */
int kz_name_safe(const char *name);
/* Check every member (names, expansion) and find the Keras ones. */
int kz_scan(zip_t *z, const char *shown, kz_members *out, ckpt_err *err);
/* Read a small member (JSON) whole, NUL-terminated, CRC checked. */
int kz_read_small(zip_t *z, zip_int64_t idx, size_t max, char **out, size_t *len, ckpt_err *err);
/* Stream a member into fd in 1 MiB pieces (fd < 0: read it through only,
 * so its size and CRC are checked). */
int kz_extract_fd(zip_t *z, zip_int64_t idx, int fd, ckpt_err *err);

#endif
