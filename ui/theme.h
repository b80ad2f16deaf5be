/* ui/theme.h: colours by UI element, loaded from plain-text theme files.
 *
 * A theme file has one line per element, tig style:
 *     color <element> <fg> <bg> [attr ...]
 * A colour is one of the 8 curses names (black red green yellow blue
 * magenta cyan white), "bright"+name, "default", a number 0-255, or
 * "N/name": colour N on 256-colour terminals and `name` elsewhere (a bare
 * number above the terminal's range is approximated). Attributes: bold dim
 * underline reverse italic standout normal. '#' starts a comment. Elements
 * left out keep the built-in default below.
 */
#ifndef CKPT_UI_THEME_H
#define CKPT_UI_THEME_H

#include <stddef.h>

#include <curses.h>

/* _(ENUM, "name", fg, bg, attrs, mono attrs) : the built-in default theme
 * (8 colours) and the attributes used when colour is off (NO_COLOR). */
#define THEME_ELEMENTS(_)                                                         \
    _(NORMAL,      "normal",      "default", "default", "",          "")         \
    _(HEADER,      "header",      "white",   "blue",    "bold",      "reverse")  \
    _(HINT,        "hint",        "black",   "cyan",    "",          "reverse")  \
    _(HINT_KEY,    "hint-key",    "black",   "cyan",    "bold",      "reverse bold") \
    _(ERROR,       "error",       "white",   "red",     "bold",      "reverse bold") \
    _(MESSAGE,     "message",     "black",   "yellow",  "",          "reverse")  \
    _(BORDER,      "border",      "blue",    "default", "",          "")         \
    _(TITLE,       "title",       "cyan",    "default", "bold",      "bold")     \
    _(TREE_LINE,   "tree-line",   "blue",    "default", "",          "dim")      \
    _(GROUP,       "group",       "default", "default", "bold",      "bold")     \
    _(TENSOR,      "tensor",      "default", "default", "",          "")         \
    _(DTYPE,       "dtype",       "green",   "default", "",          "")         \
    _(SHAPE,       "shape",       "cyan",    "default", "",          "")         \
    _(NUMBER,      "number",      "yellow",  "default", "",          "")         \
    _(CURSOR,      "cursor",      "black",   "cyan",    "",          "reverse")  \
    _(CURSOR_IDLE, "cursor-idle", "default", "default", "reverse",   "underline") \
    _(MATCH,       "match",       "black",   "yellow",  "bold",      "bold underline") \
    _(FLAGGED,     "flagged",     "red",     "default", "bold",      "bold")     \
    _(DIM,         "dim",         "default", "default", "dim",       "dim")      \
    _(LABEL,       "label",       "cyan",    "default", "",          "")         \
    _(VALUE,       "value",       "default", "default", "bold",      "bold")     \
    _(BAR,         "bar",         "black",   "green",   "",          "reverse")  \
    _(BAR_EMPTY,   "bar-empty",   "default", "default", "dim",       "")         \
    _(HISTOGRAM,   "histogram",   "magenta", "default", "",          "")         \
    _(DIALOG,      "dialog",      "default", "default", "",          "")         \
    _(FIELD,       "field",       "default", "default", "underline", "underline") \
    _(FIELD_FOCUS, "field-focus", "black",   "white",   "",          "reverse")  \
    _(BUTTON,      "button",      "white",   "blue",    "bold",      "reverse bold") \
    _(DIRECTORY,   "directory",   "blue",    "default", "bold",      "bold")     \
    _(FORMAT,      "format",      "magenta", "default", "",          "")         \
    _(OLD_NAME,    "old-name",    "red",     "default", "",          "")         \
    _(NEW_NAME,    "new-name",    "green",   "default", "",          "bold")

typedef enum theme_elem {
#define THEME_ENUM_(e, n, fg, bg, at, mono) T_##e,
    THEME_ELEMENTS(THEME_ENUM_)
#undef THEME_ENUM_
    T_COUNT
} theme_elem;

/* Start colours (after initscr). `use_color` 0 = NO_COLOR or no colour
 * terminal: attributes only. */
void theme_init(int use_color);
/* Load and apply a theme by name (searched in the user's and the shipped
 * theme folders) or by path. NULL or "default" = the built-in default.
 * On any error the built-in default is applied and a one-line message
 * ("FILE:LINE: ...") is written to `msg`; returns -1. 0 on success. */
int theme_load(const char *name_or_path, char *msg, size_t n);
/* Parse a theme file without applying it: 0 if clean, else -1 with the
 * first problem in msg. */
int theme_check_file(const char *path, char *msg, size_t n);
const char *theme_current(void);   /* name of the theme in use */
/* Names of the themes found (default first, then sorted, no duplicates). */
int theme_list(char ***names);     /* caller frees with theme_list_free */
void theme_list_free(char **names, int n);

/* The attribute (colour pair and attrs) for an element. */
attr_t theme_attr(theme_elem e);
const char *theme_elem_name(theme_elem e);

#endif
