/* ui/shown.h: a stored value made fit for one line of a terminal. The
 * engine keeps metadata exactly as the file has it (a chat template with
 * its newlines, 10 kB long); the printers (info's text output, the TUI)
 * escape and shorten it here, and --json prints the exact value. */
#ifndef CKPT_UI_SHOWN_H
#define CKPT_UI_SHOWN_H

#include <stddef.h>

/* `v` escaped as cli_esc does (ui/safe.h: \n, \t, \xHH for controls and
 * bytes that are not UTF-8); when longer than `max` bytes (0 = no limit)
 * it is cut there, at a character boundary, and "... (N bytes)" says how
 * long the value is. malloc'd, NULL when out of memory. */
char *shown_value(const char *v, size_t max);

#endif
