/* ui/tui.h: the interactive face of ckpt (ncurses). */
#ifndef CKPT_UI_TUI_H
#define CKPT_UI_TUI_H

/* Run the TUI on `path` (a model file or folder, "hf://org/name", or a
 * folder to browse; NULL = the current folder) with theme `theme` (a name
 * or a path; NULL = default). Needs a terminal on stdin and stdout.
 * Returns the process exit code. */
int tui_main(const char *path, const char *theme);

#endif
