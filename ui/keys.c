/* keys.c: key lookup and key names, generated from ACTIONS in keys.h. */
#include <stdio.h>
#include <string.h>

#include "keys.h"

typedef struct row {
    int group;          /* 1: a group title */
    action act;
    const char *text;   /* help text or group title */
    int k[3];
} row;

static const row rows[] = {
#define KEYS_ROW_A_(e, h, k1, k2, k3) {0, ACT_##e, h, {k1, k2, k3}},
#define KEYS_ROW_G_(t) {1, ACT_NONE, t, {0, 0, 0}},
    ACTIONS(KEYS_ROW_A_, KEYS_ROW_G_)
#undef KEYS_ROW_A_
#undef KEYS_ROW_G_
};
#define NROWS ((int)(sizeof rows / sizeof rows[0]))

action keys_action(int key)
{
    if (key == 0) return ACT_NONE;
    for (int i = 0; i < NROWS; i++)
        if (!rows[i].group)
            for (int j = 0; j < 3; j++)
                if (rows[i].k[j] == key) return rows[i].act;
    return ACT_NONE;
}

const char *keys_name(int key, int utf8, char *buf, size_t n)
{
    const char *s = NULL;
    switch (key) {
    case KEY_UP: s = utf8 ? "\u2191" : "Up"; break;
    case KEY_DOWN: s = utf8 ? "\u2193" : "Down"; break;
    case KEY_LEFT: s = utf8 ? "\u2190" : "Left"; break;
    case KEY_RIGHT: s = utf8 ? "\u2192" : "Right"; break;
    case KEY_PPAGE: s = "PgUp"; break;
    case KEY_NPAGE: s = "PgDn"; break;
    case KEY_HOME: s = "Home"; break;
    case KEY_END: s = "End"; break;
    case KEY_ENTER: case '\n': case '\r': s = "Enter"; break;
    case KEY_ESC: s = "Esc"; break;
    case KEY_TAB: s = "Tab"; break;
    case ' ': s = "Space"; break;
    case KEY_BACKSPACE: s = "Backspace"; break;
    default: break;
    }
    if (s) snprintf(buf, n, "%s", s);
    else if (key >= KEY_F(1) && key <= KEY_F(12)) snprintf(buf, n, "F%d", key - KEY_F0);
    else if (key > 0 && key < 32) snprintf(buf, n, "C-%c", key + 'a' - 1);
    else if (key >= 32 && key < 127) snprintf(buf, n, "%c", key);
    else snprintf(buf, n, "#%d", key);
    return buf;
}

const char *keys_of(action a, int utf8, char *buf, size_t n)
{
    *buf = 0;
    for (int i = 0; i < NROWS; i++) {
        if (rows[i].group || rows[i].act != a) continue;
        size_t len = 0;
        for (int j = 0; j < 3; j++) {
            int k = rows[i].k[j];
            if (!k || k == '\r') continue;
            char nm[16];
            keys_name(k, utf8, nm, sizeof nm);
            if (j > 0 && !strcmp(nm, keys_name(rows[i].k[j - 1], utf8, (char[16]){0}, 16))) continue;
            int w = snprintf(buf + len, n - len, "%s%s", len ? "/" : "", nm);
            if (w < 0 || (size_t)w >= n - len) break;
            len += (size_t)w;
        }
        break;
    }
    return buf;
}

int keys_help_line(int i, int utf8, int *group, char *keys, size_t nk, const char **help)
{
    if (i < 0 || i >= NROWS) return NROWS;
    *group = rows[i].group;
    *help = rows[i].text;
    if (rows[i].group) *keys = 0;
    else keys_of(rows[i].act, utf8, keys, nk);
    return NROWS;
}
