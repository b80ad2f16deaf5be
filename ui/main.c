/* main.c: ckpt's entry point. Everything else is in cli.c (commands) and
 * the TUI modules. */
#include <locale.h>

#include "cli.h"

int main(int argc, char **argv)
{
    /* LC_CTYPE only: curses needs the terminal's character set, while numbers
     * must keep the C locale (1.5GB, --atol 0.001, JSON "elapsed":0.017) */
    setlocale(LC_CTYPE, "");
    return cli_main(argc, argv);
}
