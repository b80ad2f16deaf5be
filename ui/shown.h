/* ui/shown.h: a stored value made fit for one line of a terminal. The
 * engine keeps metadata exactly as the file has it (a chat template with
 * its newlines, 10 kB long); the printers (info's text output, the TUI)
 * escape and shorten it here, and --json prints the exact value. */
#ifndef CKPT_UI_SHOWN_H
#define CKPT_UI_SHOWN_H

#include <stddef.h>

/* Control characters as \n, \t, \r or \xHH, bytes that are not UTF-8 as
 * \xHH, a backslash as is; after `max` bytes of output (0 = no limit) the
 * rest is cut and "... (N bytes)" says how long the value is. malloc'd,
 * NULL when out of memory. */
char *shown_value(const char *v, size_t max);

#endif
