/* human.c: numbers as people read them (include/ckpt/human.h). */
#include <stdio.h>

#include "ckpt/human.h"

/* v scaled down by `base` until below it: 3 significant digits and a unit. */
static const char *scaled(uint64_t n, double base, const char *const *u, int nu, const char *sep,
                          char *buf, size_t len)
{
    double v = (double)n;
    int i = 0;
    while (v >= base && i < nu - 1) {
        v /= base;
        i++;
    }
    snprintf(buf, len, "%.*f%s%s", v < 10 ? 2 : v < 100 ? 1 : 0, v, sep, u[i]);
    return buf;
}

const char *ckpt_human_bytes(uint64_t n, char *buf, size_t len)
{
    static const char *const u[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    if (n < 1024) {
        snprintf(buf, len, "%llu B", (unsigned long long)n);
        return buf;
    }
    return scaled(n, 1024, u, 6, " ", buf, len);
}

const char *ckpt_human_short(uint64_t n, char *buf, size_t len)
{
    static const char *const u[] = {"", "K", "M", "B", "T"};
    if (n < 1000) {
        snprintf(buf, len, "%llu", (unsigned long long)n);
        return buf;
    }
    return scaled(n, 1000, u, 5, "", buf, len);
}

const char *ckpt_human_count(uint64_t n, char *buf, size_t len)
{
    char t[32];
    int l = snprintf(t, sizeof t, "%llu", (unsigned long long)n);
    size_t o = 0;
    for (int i = 0; i < l && o + 2 < len; i++) {
        if (i && (l - i) % 3 == 0) buf[o++] = ',';
        buf[o++] = t[i];
    }
    if (len) buf[o] = 0;
    return buf;
}
