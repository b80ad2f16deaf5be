/* ui/keys.h: every TUI action, its keys and its help text, in one table.
 *
 * The table generates the action enum, the key lookup and the help
 * overlay, so the help cannot drift from what the keys do (tig's
 * REQ_INFO). Rows: G(title) starts a help group; A(ENUM, "help", k1, k2, k3)
 * binds up to three keys (0 = none).
 */
#ifndef CKPT_UI_KEYS_H
#define CKPT_UI_KEYS_H

#include <curses.h>

#define KEY_CTRL(c) ((c) & 0x1f)
#define KEY_ESC 27
#define KEY_TAB '\t'

#define ACTIONS(A, G)                                                          \
    G("Moving")                                                                \
    A(MOVE_UP,     "move up",                          'k', KEY_UP, 0)         \
    A(MOVE_DOWN,   "move down",                        'j', KEY_DOWN, 0)       \
    A(PAGE_UP,     "page up",                          KEY_PPAGE, KEY_CTRL('b'), 0) \
    A(PAGE_DOWN,   "page down",                        KEY_NPAGE, KEY_CTRL('f'), ' ') \
    A(FIRST,       "first line",                       'g', KEY_HOME, 0)       \
    A(LAST,        "last line",                        'G', KEY_END, 0)        \
    A(COLLAPSE,    "collapse / parent / folder up",    'h', KEY_LEFT, KEY_BACKSPACE) \
    A(EXPAND,      "expand / enter folder",            'l', KEY_RIGHT, 0)      \
    A(OPEN,        "open, toggle, or jump to the tensor", '\n', KEY_ENTER, '\r') \
    A(EXPAND_ALL,  "expand the whole subtree",         '*', 0, 0)              \
    A(COLLAPSE_ALL,"collapse everything",              '-', 0, 0)              \
    A(SWITCH_PANE, "switch pane (tree / detail)",      KEY_TAB, 0, 0)          \
    G("Finding")                                                               \
    A(FILTER,      "filter names (substring, or a Python re regex), Esc clears", '/', 0, 0) \
    A(NEXT_MATCH,  "next match",                       'n', 0, 0)              \
    A(PREV_MATCH,  "previous match",                   'N', 0, 0)              \
    G("Screens")                                                               \
    A(MISMATCHES,  "mismatches (ckpt check)",          'd', 0, 0)              \
    A(REMAP,       "remap editor",                     'm', 0, 0)              \
    A(CONVERT,     "convert dialog",                   'c', 0, 0)              \
    A(STATS,       "statistics of the selected tensor", 's', 0, 0)            \
    A(INFO,        "model summary and metadata (in the detail pane)", 'i', 0, 0) \
    A(HUB_SEARCH,  "search the Hugging Face Hub (browser)", 'H', 0, 0)        \
    A(GOTO,        "open a path or hf:// URL (browser)", 'o', 0, 0)            \
    A(THEME,       "next theme",                       't', 0, 0)              \
    A(REFRESH,     "redraw the screen",                KEY_CTRL('l'), 0, 0)    \
    A(HELP,        "this help",                        '?', KEY_F(1), 0)       \
    A(BACK,        "back (quits from the first screen)", 'q', KEY_ESC, 0)      \
    A(QUIT,        "quit",                             'Q', KEY_CTRL('c'), 0)  \
    G("Editing (filter, remap editor, convert dialog)")                        \
    A(CLEAR_FIELD, "clear the text being typed",       KEY_CTRL('u'), 0, 0)    \
    A(SAVE_RULES,  "remap editor: save the rules to a file", KEY_CTRL('s'), 0, 0) \
    A(LOAD_RULES,  "remap editor: load rules (file or preset:NAME)", KEY_CTRL('o'), 0, 0) \
    A(CHANGED_ONLY,"remap editor: preview changed names only", KEY_CTRL('t'), 0, 0)

typedef enum action {
    ACT_NONE = 0,
#define KEYS_ENUM_A_(e, h, k1, k2, k3) ACT_##e,
#define KEYS_ENUM_G_(t)
    ACTIONS(KEYS_ENUM_A_, KEYS_ENUM_G_)
#undef KEYS_ENUM_A_
#undef KEYS_ENUM_G_
    ACT_COUNT
} action;

/* The action bound to a key, ACT_NONE if none. */
action keys_action(int key);
/* "j", "Down", "PgUp", "C-f", "Enter", ... (ASCII names when !utf8). */
const char *keys_name(int key, int utf8, char *buf, size_t n);
/* Keys of an action joined with "/", e.g. "k/Up". */
const char *keys_of(action a, int utf8, char *buf, size_t n);

/* Help lines generated from the table: line i of n; *group is 1 for a
 * group title. Returns the number of lines when `i` < 0. */
int keys_help_line(int i, int utf8, int *group, char *keys, size_t nk, const char **help);

#endif
