/* test_zip_crc.c: the running CRC of a stored member (zip_crc.c) against
 * zlib's crc32 of the same bytes, whatever order the stream shows them in:
 * in order, with gaps, overlapping, backwards, split at odd sizes, across
 * the member's end, none at all (the finish reads everything), and not
 * while streaming is off; a member whose CRC differs fails with its
 * offset, and a file cut short with "cannot read". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "formats/zip_crc.h"
#include "check.h"

#define BASE 1000u
#define SIZE (700u * 1024 + 13)

static unsigned char *file;
static int fd = -1;
static uint32_t want;

/* feed [a, b) of the member as one read (absolute offsets in the file) */
static void feed(zip_crc *c, uint64_t a, uint64_t b) { ckpt__zcrc_feed(c, fd, BASE + a, file + BASE + a, (size_t)(b - a)); }

static zip_crc *fresh(uint32_t crc)
{
    zip_crc *c = ckpt__zcrc_new(fd, BASE, SIZE, crc, "model.weights.h5", "t.keras");
    ckpt__zcrc_stream(c, 1);
    return c;
}

static int finish_ok(zip_crc *c)
{
    ckpt_err e;
    ckpt_err_clear(&e);
    int rc = ckpt__zcrc_finish(c, &e);
    ckpt__zcrc_free(c);
    return rc == 0;
}

int main(void)
{
    char path[] = "/tmp/ckpt-zcrc-XXXXXX";
    fd = mkstemp(path);
    unlink(path);
    file = malloc(BASE + SIZE + 500);
    srand(5);
    for (size_t i = 0; i < BASE + SIZE + 500; i++) file[i] = (unsigned char)rand();
    if (fd < 0 || write(fd, file, BASE + SIZE + 500) != (ssize_t)(BASE + SIZE + 500)) return 1;
    want = (uint32_t)crc32(0, file + BASE, SIZE);

    zip_crc *c = fresh(want);
    for (uint64_t a = 0; a < SIZE; a += 4096) feed(c, a, a + 4096 < SIZE ? a + 4096 : SIZE);
    CHECK("in_order", finish_ok(c));

    c = fresh(want);   /* gaps (HDF5 metadata between datasets), odd sizes */
    for (uint64_t a = 17; a < SIZE; a += 100003) feed(c, a, a + 77777 < SIZE ? a + 77777 : SIZE);
    CHECK("gaps", finish_ok(c));

    c = fresh(want);   /* overlapping and backwards: counted once */
    feed(c, 5000, 300000);
    feed(c, 100, 9000);
    feed(c, 250000, 400000);
    feed(c, 0, 50);
    CHECK("overlap_backwards", finish_ok(c));

    c = fresh(want);   /* a read running past the member's end (the next zip header) */
    feed(c, SIZE - 1000, SIZE + 400);
    CHECK("past_end", finish_ok(c));

    c = fresh(want);   /* nothing seen: the finish reads it all */
    CHECK("nothing_seen", finish_ok(c));

    c = fresh(want);   /* not streaming: bytes ignored (wrong bytes cannot count) */
    ckpt__zcrc_stream(c, 0);
    unsigned char junk[4096] = {0};
    ckpt__zcrc_feed(c, fd, BASE, junk, sizeof junk);
    CHECK("not_streaming_ignored", finish_ok(c));

    c = fresh(want);   /* another descriptor's bytes are not the member's */
    ckpt__zcrc_feed(c, fd + 100, BASE, junk, sizeof junk);
    CHECK("other_fd_ignored", finish_ok(c));

    c = fresh(want ^ 1);
    feed(c, 0, SIZE);
    ckpt_err e;
    ckpt_err_clear(&e);
    int rc = ckpt__zcrc_finish(c, &e);
    CHECK("mismatch_fails", rc == CKPT_E_FORMAT && e.offset == BASE && strstr(e.msg, "CRC") && strstr(e.msg, "model.weights.h5"));
    ckpt_err_clear(&e);
    CHECK("mismatch_stays", ckpt__zcrc_finish(c, &e) == CKPT_E_FORMAT);
    ckpt__zcrc_free(c);

    if (ftruncate(fd, BASE + SIZE / 2)) return 1;
    c = fresh(want);
    ckpt_err_clear(&e);
    rc = ckpt__zcrc_finish(c, &e);
    CHECK("cut_short_fails", rc != 0 && strstr(e.msg, "cannot read"));
    ckpt__zcrc_free(c);
    close(fd);
    free(file);
    return failures != 0;
}
