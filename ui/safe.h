/* ui/safe.h: terminal-safe output. Names, keys, metadata and messages come
 * from files and servers nobody vouches for; none of their bytes may drive
 * the terminal (set its title, recolour it, fake a line).
 *
 * Two layers: cli_esc() escapes one field for a table or a message (so a
 * name with a newline stays on its row), and cli_safe_streams() puts a
 * filter under stdout and stderr that escapes whatever control byte or
 * invalid UTF-8 still reaches them, whoever printed it. */
#ifndef CKPT_UI_SAFE_H
#define CKPT_UI_SAFE_H

#include <stddef.h>
#include <stdio.h>

/* `s` with C0 controls, DEL, C1 controls and invalid UTF-8 escaped
 * ("\n", "\t", "\x1b", "\xc2\x9b", "\xff"); valid printable UTF-8 is kept.
 * Returns one of a few rotating buffers owned here: use it before calling
 * cli_esc more than CLI_ESC_RING times. NULL gives "". */
#define CLI_ESC_RING 8
const char *cli_esc(const char *s);
/* Escape into `out` (at most n bytes with the NUL); returns out. */
char *cli_esc_into(const char *s, char *out, size_t n);

/* Rewrite a JSON text (cJSON's output) so it holds no raw DEL, C1 control
 * or invalid UTF-8: those become \u007f, \u0080..\u009f and, for bytes that
 * are not UTF-8, \udcXX (Python's surrogateescape: json.loads then
 * s.encode('utf-8', 'surrogateescape') gives the file's bytes back). Frees
 * `json`, returns a new string (or NULL when out of memory). */
char *cli_json_safe(char *json);
/* One JSON string literal (quotes included) exactly as cJSON prints `s`
 * and cli_json_safe then rewrites it, into out (room for 6 * strlen(s) + 3
 * bytes); returns its length. For output written without a cJSON tree. */
size_t cli_json_str_into(const char *s, char *out);

/* Filter stdout and stderr (CLI commands only; the TUI draws with curses,
 * which escapes on its own). Returns the unfiltered stderr for terminal
 * control sequences (the progress bar); NULL if not installed. */
FILE *cli_safe_streams(void);
extern FILE *cli_term_err;   /* that raw stderr, or stderr itself */

#endif
