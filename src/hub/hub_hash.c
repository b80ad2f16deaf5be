/* hub_hash.c: the hashes the Hub names files by (sha256 for LFS files,
 * git's blob sha1 for the others), of a whole file or, in a thread, of a
 * download as it arrives. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>
#include <errno.h>

#include <openssl/evp.h>

#include "hub_int.h"

static EVP_MD_CTX *md_new(int git_sha1, uint64_t size)
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    if (!c) return NULL;
    if (!EVP_DigestInit_ex(c, git_sha1 ? EVP_sha1() : EVP_sha256(), NULL)) {
        EVP_MD_CTX_free(c);
        return NULL;
    }
    if (git_sha1) {
        /* git's blob id: sha1("blob <len>\0" + content) */
        char pre[40];
        int k = snprintf(pre, sizeof pre, "blob %llu", (unsigned long long)size);
        EVP_DigestUpdate(c, pre, (size_t)k + 1);
    }
    return c;
}

static void md_hex(EVP_MD_CTX *c, char hex[65])
{
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_DigestFinal_ex(c, d, &n);
    for (unsigned i = 0; i < n && i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", d[i]);
    hex[2 * (n < 32 ? n : 32)] = 0;
}

/* Feed the first n bytes of fd to c. */
static int md_file(EVP_MD_CTX *c, int fd, uint64_t n)
{
    enum { CH = 1 << 20 };
    char *buf = malloc(CH);
    if (!buf) return -1;
    uint64_t off = 0;
    while (off < n) {
        size_t k = n - off < CH ? (size_t)(n - off) : CH;
        if (ckpt__pread_full(fd, buf, k, off)) { free(buf); return -1; }
        EVP_DigestUpdate(c, buf, k);
        off += k;
    }
    free(buf);
    return 0;
}

int ckpt__hub_hash_file(const char *path, int git_sha1, char hex[65], ckpt_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st)) {
        int e = errno;
        if (fd >= 0) close(fd);
        return ckpt_err_sys(err, CKPT_E_IO, e, "cannot read %s", path);
    }
    EVP_MD_CTX *c = md_new(git_sha1, (uint64_t)st.st_size);
    int rc = !c || md_file(c, fd, (uint64_t)st.st_size) ? ckpt_err_sys(err, CKPT_E_IO, errno, "cannot hash %s", path) : 0;
    if (!rc) md_hex(c, hex);
    EVP_MD_CTX_free(c);
    close(fd);
    return rc;
}

static void *hasher_main(void *arg)
{
    ckpt__hub_hasher *h = arg;
    enum { CH = 4 << 20 };
    char *buf = malloc(CH);
    if (!buf) h->failed = 1;
    for (;;) {
        pthread_mutex_lock(&h->mu);
        while (h->hashed == h->avail && !h->stop) pthread_cond_wait(&h->cv, &h->mu);
        uint64_t a = h->avail;
        int stop = h->stop;
        pthread_mutex_unlock(&h->mu);
        if (h->hashed == a && stop) break;
        while (buf && !h->failed && h->hashed < a) {
            size_t k = a - h->hashed < CH ? (size_t)(a - h->hashed) : CH;
            if (ckpt__pread_full(h->fd, buf, k, h->hashed)) { h->failed = 1; break; }
            EVP_DigestUpdate(h->md, buf, k);
            h->hashed += k;
        }
        if (h->failed) {
            pthread_mutex_lock(&h->mu);
            h->hashed = h->avail;  /* let a waiter finish */
            pthread_mutex_unlock(&h->mu);
            if (stop) break;
        }
    }
    free(buf);
    return NULL;
}

int ckpt__hub_hasher_start(ckpt__hub_hasher *h, int fd, int git_sha1, uint64_t size, uint64_t avail)
{
    memset(h, 0, sizeof *h);
    h->fd = fd;
    h->git_sha1 = git_sha1;
    h->size = size;
    h->avail = avail;
    if (!(h->md = md_new(git_sha1, size))) return -1;
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->cv, NULL);
    if (pthread_create(&h->th, NULL, hasher_main, h)) {
        EVP_MD_CTX_free(h->md);
        h->md = NULL;
        return -1;
    }
    h->running = 1;
    return 0;
}

void ckpt__hub_hasher_advance(ckpt__hub_hasher *h, uint64_t avail)
{
    pthread_mutex_lock(&h->mu);
    h->avail = avail;
    pthread_cond_signal(&h->cv);
    pthread_mutex_unlock(&h->mu);
}

/* Wait for the hash of everything written; hex gets it (or "" on failure). */
void ckpt__hub_hasher_stop(ckpt__hub_hasher *h, char hex[65])
{
    if (hex) hex[0] = 0;
    if (!h->running) return;
    pthread_mutex_lock(&h->mu);
    h->stop = 1;
    pthread_cond_signal(&h->cv);
    pthread_mutex_unlock(&h->mu);
    pthread_join(h->th, NULL);
    h->running = 0;
    if (hex && !h->failed) md_hex(h->md, hex);
    EVP_MD_CTX_free(h->md);
    h->md = NULL;
    pthread_mutex_destroy(&h->mu);
    pthread_cond_destroy(&h->cv);
}
