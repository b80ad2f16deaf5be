/* tests/unit/check.h: the one assertion every unit test prints with, in the
 * runner's "PASS name" / "FAIL name: why" form; main returns `failures`. */
#ifndef CKPT_TEST_CHECK_H
#define CKPT_TEST_CHECK_H

#include <stdio.h>

static int failures;
#define CHECK(name, cond)                                                      \
    do {                                                                       \
        if (cond) printf("PASS %s\n", name);                                   \
        else { printf("FAIL %s: %s (line %d)\n", name, #cond, __LINE__); failures++; } \
    } while (0)

#endif
