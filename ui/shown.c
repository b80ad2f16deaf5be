/* shown.c: shorten a stored value for a terminal line, escaped by cli_esc. */
#include "shown.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "safe.h"

char *shown_value(const char *v, size_t max)
{
    size_t n = strlen(v);
    if (!max || n <= max) return strdup(cli_esc(v));
    size_t cut = max;
    while (cut > 0 && ((unsigned char)v[cut] & 0xc0) == 0x80) cut--;   /* not inside a character */
    char *head = strndup(v, cut);
    if (!head) return NULL;
    const char *e = cli_esc(head);
    size_t len = strlen(e) + 40;
    char *out = malloc(len);
    if (out) snprintf(out, len, "%s... (%zu bytes)", e, n);
    free(head);
    return out;
}
