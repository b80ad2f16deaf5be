/* libFuzzer target: the Content-Range parser every remote range answer goes
 * through (src/hub/http.c): "bytes A-B/T" or "bytes A-B/ *". Invariants: an
 * accepted value has A <= B < T (or T unknown), and printing it back parses
 * to the same numbers. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "hub/hub_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint64_t a, b, t;
    if (ckpt__http_content_range((const char *)data, size, &a, &b, &t)) return 0;
    if (b < a || (t != UINT64_MAX && b >= t)) __builtin_trap();
    char buf[96];
    int n = t == UINT64_MAX ? snprintf(buf, sizeof buf, "bytes %llu-%llu/*", (unsigned long long)a, (unsigned long long)b)
                            : snprintf(buf, sizeof buf, "bytes %llu-%llu/%llu", (unsigned long long)a,
                                       (unsigned long long)b, (unsigned long long)t);
    uint64_t a2, b2, t2;
    if (ckpt__http_content_range(buf, (size_t)n, &a2, &b2, &t2) || a2 != a || b2 != b || t2 != t) __builtin_trap();
    return 0;
}
