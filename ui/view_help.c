/* view_help.c: the help overlay, generated from the action table in
 * keys.h, so it lists exactly the keys the program acts on. */
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "draw.h"
#include "keys.h"

void help_draw(void)
{
    int n = keys_help_line(-1, 0, NULL, NULL, 0, NULL);
    int w = COLS > 80 ? 76 : COLS - 4, h = LINES - 2;
    if (h > n + 4) h = n + 4;
    int y = (LINES - h) / 2, x = (COLS - w) / 2;
    draw_box(y, x, h, w, theme_attr(T_BORDER), "Keys (q or Esc closes)");
    int rows = h - 2;
    if (A.help_top > n - rows) A.help_top = n - rows;
    if (A.help_top < 0) A.help_top = 0;
    for (int r = 0; r < rows && A.help_top + r < n; r++) {
        int group;
        char keys[64];
        const char *text;
        keys_help_line(A.help_top + r, A.utf8, &group, keys, sizeof keys, &text);
        if (group) draw_text(y + 1 + r, x + 2, text, w - 4, theme_attr(T_TITLE), CLIP_RIGHT);
        else {
            draw_text(y + 1 + r, x + 3, keys, 16, theme_attr(T_HINT_KEY), CLIP_RIGHT);
            draw_text(y + 1 + r, x + 20, text, w - 22, theme_attr(T_DIALOG), CLIP_RIGHT);
        }
    }
    if (A.help_top + rows < n) draw_text(y + h - 1, x + w - 8, " more ", 6, theme_attr(T_DIM), CLIP_RIGHT);
}

int help_key(int key)
{
    switch (keys_action(key)) {
    case ACT_MOVE_DOWN: A.help_top++; break;
    case ACT_MOVE_UP: if (A.help_top > 0) A.help_top--; break;
    case ACT_PAGE_DOWN: A.help_top += 10; break;
    case ACT_PAGE_UP: A.help_top -= 10; if (A.help_top < 0) A.help_top = 0; break;
    case ACT_FIRST: A.help_top = 0; break;
    case ACT_LAST: A.help_top = 1000; break; /* help_draw clamps */
    case ACT_QUIT: return R_QUIT;
    default: A.help = 0; break;
    }
    return R_REDRAW;
}
